package dev.sse.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConcurrentResumeTest {

    private static final int BROADCASTERS = 4;
    private static final int EVENTS_EACH = 2_000;
    private static final int RESUMES = 100;

    @Test
    void resumeWhileBroadcastingDeliversEveryLaterEventExactlyOnceInOrder() throws Exception {
        Hub hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).maxQueuedFrames(Integer.MAX_VALUE)
                .maxQueuedBytes(Long.MAX_VALUE).history(TestClocks.history(10_000_000, Duration.ofHours(1)))
                .build();
        AtomicInteger resumesDone = new AtomicInteger();
        AtomicLong lastId = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(BROADCASTERS + 1);
        List<Future<?>> broadcasters = new ArrayList<>();
        for (int b = 0; b < BROADCASTERS; b++) {
            broadcasters.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < EVENTS_EACH; i++) {
                    // Pace with the reconnector so that resumes race broadcasts all along, not only at the start.
                    while (resumesDone.get() < (long) i * RESUMES / EVENTS_EACH) {
                        Thread.yield();
                    }
                    String id = hub.broadcast(SseEvent.data("x"));
                    lastId.accumulateAndGet(Long.parseLong(id), Math::max);
                }
                return null;
            }));
        }
        List<long[]> resumedFrom = new ArrayList<>();
        List<RecordingTransport> resumed = new ArrayList<>();
        Future<?> reconnector = pool.submit(() -> {
            start.await();
            for (int n = 0; n < RESUMES; n++) {
                long seen = lastId.get();
                long from = Math.min(seen, seen / 2 + resumed.size() % 7);
                RecordingTransport t = new RecordingTransport();
                t.openOn(hub, ChannelOptions.builder().lastEventId(Long.toString(from)).build());
                synchronized (resumed) {
                    resumed.add(t);
                    resumedFrom.add(new long[] {from});
                }
                resumesDone.incrementAndGet();
            }
            return null;
        });

        start.countDown();
        for (Future<?> f : broadcasters) {
            f.get(60, TimeUnit.SECONDS);
        }
        reconnector.get(60, TimeUnit.SECONDS);
        pool.shutdown();
        long total = lastId.get();

        assertThat(resumed).hasSize(RESUMES);
        for (int i = 0; i < resumed.size(); i++) {
            long from = resumedFrom.get(i)[0];
            List<String> ids = resumed.get(i).ids();
            assertThat(ids).as("channel resumed from %d", from).hasSize((int) (total - from));
            for (int k = 0; k < ids.size(); k++) {
                assertThat(Long.parseLong(ids.get(k))).as("position %d of channel resumed from %d", k, from)
                        .isEqualTo(from + 1 + k);
            }
        }
        hub.close();
    }
}
