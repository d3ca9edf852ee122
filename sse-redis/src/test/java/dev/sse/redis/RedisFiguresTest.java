package dev.sse.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.ChannelOptions;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.test.RecordingChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The figures the README quotes, measured on a local redis-server; run on demand:
 * {@code mvn -pl sse-redis -am verify -Dtest=RedisFiguresTest -Dsse.redis.figures=true -Dmaven.javadoc.skip
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@EnabledIfSystemProperty(named = "sse.redis.figures", matches = "true")
class RedisFiguresTest {

    @Test
    void publishThroughputResumeLatencyAndMemoryPerEvent() throws Exception {
        try (RedisServer redis = RedisServer.start()) {
            List<Hub> hubs = new ArrayList<>();
            try {
                // Publishing is measured on one node (which also reads back all it publishes), as on a machine of its
                // own; the second node, for the fan-out and resume figures, joins afterwards.
                RedisBackplane onA = RedisBackplane.builder(redis.uri()).streamKey("sse:figures").build();
                hubs.add(Hub.builder().keepAlive(Duration.ZERO).backplane(onA).build());
                Hub a = hubs.get(0);
                String payload = "{\"user\":42,\"text\":\"" + "x".repeat(70) + "\"}";

                int warm = 5_000;
                for (int i = 0; i < warm; i++) {
                    a.broadcast("news", SseEvent.of("note", payload));
                }
                int n = 20_000;
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    a.broadcast("news", SseEvent.of("note", payload));
                }
                double oneThread = n / ((System.nanoTime() - t0) / 1e9);

                // The pipelined paths, ours and Lettuce's peer below alike: a warm-up round as long as a measured one
                // (a loop of 16 callers alone took about 6 s to reach its steady rate; one thread's first asynchronous
                // round ran at a third of its later ones), then the median of three rounds.
                int m = 200_000;
                double oneThreadAsync = medianAfterWarmUp(() -> oneThreadAsync(a, payload, m));

                int threads = 16;
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                Callable<Void> ours = () -> {
                    a.broadcast("news", SseEvent.of("note", payload));
                    return null;
                };
                long[] before = onA.readsAndEntries();
                double manyThreads = medianAfterWarmUp(() -> manyThreads(ours, pool, threads, m));
                long[] after = onA.readsAndEntries();
                double perRead = (double) (after[1] - before[1]) / Math.max(1, after[0] - before[0]);

                // The peer in the same sitting: Lettuce's own API on one shared connection, as an application would
                // call it, the same entry and trimming, and nothing reading the stream back (ours reads back all).
                io.lettuce.core.RedisClient raw = io.lettuce.core.RedisClient.create(redis.uri());
                double rawOneThread;
                double rawOneThreadAsync;
                double rawManyThreads;
                try (io.lettuce.core.api.StatefulRedisConnection<String, String> c = raw.connect()) {
                    java.util.Map<String, String> entry = EntryCodec.encode("news", SseEvent.of("note", payload));
                    io.lettuce.core.XAddArgs trim = new io.lettuce.core.XAddArgs().maxlen(10_000).approximateTrimming();
                    for (int i = 0; i < warm; i++) {
                        c.sync().xadd("sse:raw", trim, entry);
                    }
                    long r0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        c.sync().xadd("sse:raw", trim, entry);
                    }
                    rawOneThread = n / ((System.nanoTime() - r0) / 1e9);
                    rawOneThreadAsync = medianAfterWarmUp(() -> rawOneThreadAsync(c, trim, entry, m));
                    Callable<Void> lettuce = () -> {
                        c.sync().xadd("sse:raw", trim, entry);
                        return null;
                    };
                    rawManyThreads = medianAfterWarmUp(() -> manyThreads(lettuce, pool, threads, m));
                } finally {
                    raw.shutdown();
                }
                pool.shutdown();

                System.out.printf("publish via Redis: %.0f events/s (1 thread, broadcast), %.0f events/s (1 thread, "
                        + "broadcastAsync), %.0f events/s (16 threads, broadcast); Lettuce's own XADD on one shared "
                        + "connection, same sitting: %.0f (1 thread, sync), %.0f (1 thread, async), %.0f (16 threads, "
                        + "sync); the node's read-back took %.1f entries per XREAD with 16 threads; /proc/loadavg %s%n",
                        oneThread, oneThreadAsync, manyThreads, rawOneThread, rawOneThreadAsync, rawManyThreads, perRead,
                        java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg"))
                                .trim());
                hubs.add(Hub.builder().keepAlive(Duration.ZERO)
                        .backplane(RedisBackplane.builder(redis.uri()).streamKey("sse:figures").build()).build());
                RecordingChannel onB = RecordingChannel.open(hubs.get(1),
                        ChannelOptions.builder().topics(java.util.Set.of("news")).build());
                for (int i = 0; i < 1_000; i++) {
                    a.broadcastAsync("news", SseEvent.of("note", payload));
                }
                String burstEnd = a.broadcast("news", SseEvent.of("note", payload));
                onB.awaitEvent(f -> burstEnd.equals(f.id()), Duration.ofSeconds(60));
                int singles = 200;
                long t2 = System.nanoTime();
                for (int i = 0; i < singles; i++) {
                    String id = a.broadcast("news", SseEvent.of("note", payload));
                    onB.awaitEvent(f -> id.equals(f.id()), Duration.ofSeconds(10));
                }
                double fanOutMs = (System.nanoTime() - t2) / 1e6 / singles;

                Hub noMirror = Hub.builder().keepAlive(Duration.ZERO).backplane(RedisBackplane.builder(redis.uri())
                        .streamKey("sse:figures").mirrorSize(0).build()).build();
                hubs.add(noMirror);
                List<String> ids = onB.ids();
                String back = ids.get(ids.size() - 401);
                ChannelOptions resume = ChannelOptions.builder().topics(java.util.Set.of("news")).lastEventId(back)
                        .build();
                int resumes = 200;
                long t3 = System.nanoTime();
                for (int i = 0; i < resumes; i++) {
                    assertThat(RecordingChannel.open(hubs.get(1), resume).ids()).hasSize(400);
                }
                double mirrorMs = (System.nanoTime() - t3) / 1e6 / resumes;
                long t4 = System.nanoTime();
                for (int i = 0; i < resumes; i++) {
                    assertThat(RecordingChannel.open(noMirror, resume).ids()).hasSize(400);
                }
                double streamMs = (System.nanoTime() - t4) / 1e6 / resumes;

                long len = redis.integer("XLEN", "sse:figures");
                long bytes = redis.integer("MEMORY", "USAGE", "sse:figures", "SAMPLES", "0");
                System.out.printf("one event, broadcast on A until queued on a channel on B: %.2f ms%n", fanOutMs);
                System.out.printf("resume 400 events back: %.2f ms from the mirror, %.2f ms by XRANGE%n",
                        mirrorMs, streamMs);
                System.out.printf("stream: %d entries, %d bytes, %.0f bytes per entry (%d-byte data + topic, event)%n",
                        len, bytes, (double) bytes / len, payload.length());
                assertThat(len).isGreaterThan(9_000);
            } finally {
                hubs.forEach(Hub::close);
            }
        }
    }

    /** Ours: {@code m} calls of {@code broadcastAsync}; the ids are then checked to be in call order. */
    private static double oneThreadAsync(Hub a, String payload, int m) throws Exception {
        return asyncRound(m, () -> a.broadcastAsync("news", SseEvent.of("note", payload)), ids -> {
            for (int i = 1; i < ids.length; i++) {
                if (StreamId.parse(ids[i]).compareTo(StreamId.parse(ids[i - 1])) <= 0) {
                    throw new AssertionError("ids not in call order: " + ids[i - 1] + " then " + ids[i]);
                }
            }
        });
    }

    /** The peer's {@link #oneThreadAsync}: Lettuce's asynchronous {@code XADD} on one connection. */
    private static double rawOneThreadAsync(io.lettuce.core.api.StatefulRedisConnection<String, String> c,
            io.lettuce.core.XAddArgs trim, java.util.Map<String, String> entry, int m) throws Exception {
        return asyncRound(m, () -> c.async().xadd("sse:raw", trim, entry), ids -> { });
    }

    /**
     * {@code m} calls from this thread, then a wait for every id; events per second. The ids are checked after the
     * clock stops: 200,000 assertions are the harness's time, not the publisher's. A method of its own so that its
     * futures are garbage once it returns, not live through the rounds measured after it.
     */
    private static double asyncRound(int m, Supplier<CompletionStage<String>> call, Consumer<String[]> check)
            throws Exception {
        List<CompletionStage<String>> stages = new ArrayList<>(m);
        long t = System.nanoTime();
        for (int i = 0; i < m; i++) {
            stages.add(call.get());
        }
        String[] ids = new String[m];
        for (int i = 0; i < m; i++) {
            ids[i] = stages.get(i).toCompletableFuture().get(1, TimeUnit.MINUTES);
        }
        double rate = m / ((System.nanoTime() - t) / 1e9);
        check.accept(ids);
        return rate;
    }

    /** One unmeasured round, then the median events per second of three. */
    private static double medianAfterWarmUp(Callable<Double> round) throws Exception {
        round.call();
        double[] rounds = new double[3];
        for (int i = 0; i < rounds.length; i++) {
            rounds[i] = round.call();
        }
        java.util.Arrays.sort(rounds);
        return rounds[1];
    }

    /** {@code threads} callers each publishing {@code events / threads} times, waiting for each; events per second. */
    private static double manyThreads(Callable<Void> publish, ExecutorService pool, int threads, int events)
            throws Exception {
        List<Future<?>> done = new ArrayList<>();
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            done.add(pool.submit(() -> {
                go.await();
                for (int i = 0; i < events / threads; i++) {
                    publish.call();
                }
                return null;
            }));
        }
        long t1 = System.nanoTime();
        go.countDown();
        for (Future<?> f : done) {
            f.get(2, TimeUnit.MINUTES);
        }
        return events / threads * threads / ((System.nanoTime() - t1) / 1e9);
    }
}
