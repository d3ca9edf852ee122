package dev.sse.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.ChannelOptions;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.test.RecordingChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
                hubs.add(Hub.builder().keepAlive(Duration.ZERO)
                        .backplane(RedisBackplane.builder(redis.uri()).streamKey("sse:figures").build()).build());
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

                int m = 200_000;
                List<java.util.concurrent.CompletionStage<String>> stages = new ArrayList<>(m);
                long ta = System.nanoTime();
                for (int i = 0; i < m; i++) {
                    stages.add(a.broadcastAsync("news", SseEvent.of("note", payload)));
                }
                String previous = "0-0";
                for (java.util.concurrent.CompletionStage<String> st : stages) {
                    String id = st.toCompletableFuture().get(1, TimeUnit.MINUTES);
                    assertThat(StreamId.parse(id)).as("ids in call order").isGreaterThan(StreamId.parse(previous));
                    previous = id;
                }
                double oneThreadAsync = m / ((System.nanoTime() - ta) / 1e9);

                int threads = 16;
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                List<Future<?>> done = new ArrayList<>();
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                for (int t = 0; t < threads; t++) {
                    done.add(pool.submit(() -> {
                        go.await();
                        for (int i = 0; i < m / threads; i++) {
                            a.broadcast("news", SseEvent.of("note", payload));
                        }
                        return null;
                    }));
                }
                long t1 = System.nanoTime();
                go.countDown();
                for (Future<?> f : done) {
                    f.get(2, TimeUnit.MINUTES);
                }
                double manyThreads = m / ((System.nanoTime() - t1) / 1e9);
                pool.shutdown();

                System.out.printf("publish via Redis: %.0f events/s (1 thread, broadcast), %.0f events/s (1 thread, "
                        + "broadcastAsync), %.0f events/s (16 threads, broadcast); /proc/loadavg %s%n", oneThread,
                        oneThreadAsync, manyThreads, java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg"))
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
}
