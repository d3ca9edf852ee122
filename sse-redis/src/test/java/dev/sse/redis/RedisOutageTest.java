package dev.sse.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.core.ChannelOptions;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.HubListener;
import dev.sse.core.SseEvent;
import dev.sse.test.RecordingChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What clients and publishers see while Redis is paused, or killed and started again empty. */
class RedisOutageTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private RedisServer redis;
    private final List<Hub> hubs = new ArrayList<>();
    private final CountDownLatch gapsOnB = new CountDownLatch(1);

    @BeforeEach
    void startRedis() throws Exception {
        redis = RedisServer.start();
    }

    @AfterEach
    void stop() throws Exception {
        hubs.forEach(Hub::close);
        redis.close();
    }

    private Hub node(HubListener listener) {
        Hub.Builder b = Hub.builder().keepAlive(Duration.ofMillis(200)).gapEvent(SseEvent.of("gap", ""))
                .backplane(RedisBackplane.builder(redis.uri()).streamKey("sse:outage").build());
        if (listener != null) {
            b.listener(listener);
        }
        Hub hub = b.build();
        hubs.add(hub);
        return hub;
    }

    /** Broadcasts, retrying while Redis is not back yet; fails after the deadline. */
    private static String broadcastWhenBack(Hub hub, SseEvent event) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                return hub.broadcast(event);
            } catch (RedisUnavailableException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    @Test
    void pausedRedisFailsBroadcastsFastKeepsStreamsOpenAndLosesNothingOnceItContinues() throws Exception {
        Hub a = node(null);
        Hub b = node(null);
        RecordingChannel onB = RecordingChannel.open(b);
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sent.add(a.broadcast(SseEvent.data("before" + i)));
        }
        onB.awaitEvents(5, WAIT);

        redis.pause();
        // Three attempts, so the pause also outlasts the reader's blocking read and it has to reconnect.
        for (int attempt = 0; attempt < 3; attempt++) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> a.broadcast(SseEvent.data("during")))
                    .isInstanceOf(RedisUnavailableException.class).hasMessageContaining("sse:outage")
                    .hasMessageContaining("did not take the event");
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(tookMs).as("bounded by the 2 s command timeout").isLessThan(3500);
        }
        // Keep-alives go on while Redis is away: the stream is open and written to.
        onB.awaitKeepAlives(onB.keepAlives() + 3, WAIT);
        assertThat(onB.closed()).isFalse();

        redis.resume();
        for (int i = 0; i < 5; i++) {
            sent.add(broadcastWhenBack(a, SseEvent.data("after" + i)));
        }

        onB.awaitEvent(e -> sent.get(9).equals(e.id()), WAIT);
        List<String> received = onB.ids();
        // A failed broadcast was written to the paused Redis, which runs it when it continues: the exception says
        // "not known to be taken", so each may appear, once, in order.
        assertThat(received).containsSubsequence(sent).doesNotHaveDuplicates();
        assertThat(received.size()).isBetween(10, 13);
        assertThat(onB.events()).noneMatch(e -> "gap".equals(e.event()));
    }

    @Test
    void redisRestartedEmptySignalsAGapToOpenAndResumingClientsAndIdsKeepIncreasing() throws Exception {
        Hub a = node(null);
        Hub b = node(new HubListener() {
            @Override
            public void onResumeGap(EventChannel channel) {
                gapsOnB.countDown();
            }
        });
        RecordingChannel onB = RecordingChannel.open(b);
        RecordingChannel onA = RecordingChannel.open(a);
        List<String> before = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            before.add(a.broadcast(SseEvent.data("before" + i)));
        }
        onB.awaitEvents(5, WAIT);

        redis.restartEmpty();
        String after = broadcastWhenBack(a, SseEvent.data("after"));

        assertThat(gapsOnB.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("open client told of the gap").isTrue();
        onB.awaitEvent(e -> after.equals(e.id()), WAIT);
        assertThat(onB.events()).anyMatch(e -> "gap".equals(e.event()));
        assertThat(StreamId.parse(after)).isGreaterThan(StreamId.parse(before.get(4)));
        List<String> ids = onB.ids();
        assertThat(ids).containsExactly(before.get(0), before.get(1), before.get(2), before.get(3), before.get(4),
                after);

        // Node a learns of the empty Redis through its own reader, like b: until it has delivered "after", its
        // mirror still holds the old entries and could serve the resume.
        onA.awaitEvent(e -> after.equals(e.id()), WAIT);
        RecordingChannel resumed = RecordingChannel.open(a,
                ChannelOptions.builder().lastEventId(before.get(2)).build());
        assertThat(resumed.channel().resumeGap()).isTrue();
    }

    @Test
    void nodeStartedWhileRedisIsDownFailsBroadcastsFastThenJoinsOnceRedisAnswers() throws Exception {
        redis.kill();
        Hub a = node(null);
        RecordingChannel onA = RecordingChannel.open(a);
        for (int attempt = 0; attempt < 3; attempt++) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> a.broadcast(SseEvent.data("nobody"))).isInstanceOf(RedisUnavailableException.class)
                    .hasMessageContaining("cannot be reached");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(3500);
        }

        redis.startAgain();
        String id = broadcastWhenBack(a, SseEvent.data("hello"));

        onA.awaitEvents(1, WAIT);
        assertThat(onA.ids()).containsExactly(id);
    }
}
