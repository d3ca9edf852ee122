package dev.sse.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The publishing pipeline's group commit, counted against a real redis-server: many calls share one flush, every
 * caller still gets its own id, in one global order, and a caller alone is never kept waiting for company.
 */
class XaddPipelineTest {

    private static final Map<String, String> ENTRY = Map.of("d", "x".repeat(64));
    private static final long SLOT_WAIT = TimeUnit.SECONDS.toNanos(5);

    private static RedisServer redis;
    private static RedisAccess access;

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.start();
        access = RedisAccess.of(redis.uri(), Duration.ofSeconds(5));
    }

    @AfterAll
    static void stop() throws Exception {
        if (access != null) {
            access.shutdown(Duration.ofSeconds(2));
        }
        if (redis != null) {
            redis.close();
        }
    }

    private static XaddPipeline pipeline(String key) {
        return new XaddPipeline(access, key, 1_000_000, Duration.ofSeconds(5), "test redis");
    }

    @Test
    void sixteenWaitingCallersShareFlushesAndEachGetsItsOwnAscendingIds() throws Exception {
        XaddPipeline pipeline = pipeline("sse:batch:waiting");
        int threads = 16;
        int perThread = 1_500;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<String>>> results = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    go.await();
                    List<String> ids = new ArrayList<>(perThread);
                    for (int i = 0; i < perThread; i++) {
                        ids.add(pipeline.append(ENTRY, SLOT_WAIT, true).get(10, TimeUnit.SECONDS));
                    }
                    return ids;
                }));
            }
            go.countDown();
            int calls = threads * perThread;
            assertEachCallersIdsAscendAndNoneIsShared(results, calls);
            // One flush per call is what a pipeline without group commit does: the count must be far below it.
            assertThat(pipeline.flushes()).as("flushes for %d waiting calls", calls).isLessThanOrEqualTo(calls / 3);
        } finally {
            pool.shutdownNow();
            // Waited for: the shared client's shutdown would find it half-closed and warn.
            pipeline.close().get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void oneThreadsCallsThatDoNotWaitGoOutInFewFlushesInCallOrder() throws Exception {
        XaddPipeline pipeline = pipeline("sse:batch:async");
        int calls = 20_000;
        List<CompletableFuture<String>> pending = new ArrayList<>(calls);
        try {
            for (int i = 0; i < calls; i++) {
                pending.add(pipeline.append(ENTRY, SLOT_WAIT, false));
            }
            StreamId previous = StreamId.parse("0-0");
            for (CompletableFuture<String> f : pending) {
                StreamId id = StreamId.parse(f.get(1, TimeUnit.MINUTES));
                assertThat(id).as("ids in call order").isGreaterThan(previous);
                previous = id;
            }
            assertThat(pipeline.flushes()).as("flushes for %d calls from one thread", calls)
                    .isLessThanOrEqualTo(calls / 10);
        } finally {
            // Waited for: the shared client's shutdown would find it half-closed and warn.
            pipeline.close().get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void waitingAndNonWaitingCallersAtOnceLeaveNoCallUnsentAndKeepEachThreadsOrder() throws Exception {
        // The two ways a send starts (a waiting caller or a reply; the event executor for the others) race for the
        // one sender: a call left in the queue would never be answered, and its get would time out.
        XaddPipeline pipeline = pipeline("sse:batch:mixed");
        int waiting = 8;
        int notWaiting = 4;
        int perThread = 2_000;
        ExecutorService pool = Executors.newFixedThreadPool(waiting + notWaiting);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<String>>> results = new ArrayList<>();
        try {
            for (int t = 0; t < waiting + notWaiting; t++) {
                boolean waits = t < waiting;
                results.add(pool.submit(() -> {
                    go.await();
                    List<CompletableFuture<String>> calls = new ArrayList<>(perThread);
                    for (int i = 0; i < perThread; i++) {
                        CompletableFuture<String> id = pipeline.append(ENTRY, SLOT_WAIT, waits);
                        if (waits) {
                            id.get(10, TimeUnit.SECONDS);
                        }
                        calls.add(id);
                    }
                    List<String> ids = new ArrayList<>(perThread);
                    for (CompletableFuture<String> id : calls) {
                        ids.add(id.get(10, TimeUnit.SECONDS));
                    }
                    return ids;
                }));
            }
            go.countDown();
            assertEachCallersIdsAscendAndNoneIsShared(results, (waiting + notWaiting) * perThread);
        } finally {
            pool.shutdownNow();
            // Waited for: the shared client's shutdown would find it half-closed and warn.
            pipeline.close().get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aCallerAloneIsFlushedAtOnceNotHeldForABatch() throws Exception {
        XaddPipeline pipeline = pipeline("sse:batch:alone");
        try {
            for (int i = 1; i <= 50; i++) {
                // Nothing else is in flight, so waiting for company would wait for ever: the call would time out.
                pipeline.append(ENTRY, SLOT_WAIT, true).get(2, TimeUnit.SECONDS);
                assertThat(pipeline.flushes()).as("flushes after %d lone calls", i).isEqualTo(i);
            }
        } finally {
            // Waited for: the shared client's shutdown would find it half-closed and warn.
            pipeline.close().get(5, TimeUnit.SECONDS);
        }
    }

    private static void assertEachCallersIdsAscendAndNoneIsShared(List<Future<List<String>>> callers, int calls)
            throws Exception {
        Set<String> all = new HashSet<>();
        for (Future<List<String>> f : callers) {
            List<String> ids = f.get(2, TimeUnit.MINUTES);
            for (int i = 1; i < ids.size(); i++) {
                assertThat(StreamId.parse(ids.get(i))).as("a caller's ids in its call order")
                        .isGreaterThan(StreamId.parse(ids.get(i - 1)));
            }
            all.addAll(ids);
        }
        assertThat(all).as("one id per call, none shared").hasSize(calls);
    }
}
