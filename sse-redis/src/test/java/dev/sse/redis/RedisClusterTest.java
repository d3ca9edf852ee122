package dev.sse.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.ChannelOptions;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.test.RecordingChannel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real Redis Cluster of three primaries, each with a replica (six processes, made with
 * {@code redis-cli --cluster create}), a node timeout of one second and {@code cluster-require-full-coverage no} so
 * that the shards a failure does not touch go on serving. Hubs are configured with {@code redis-cluster://} seeds.
 */
class RedisClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(40);
    private final List<RedisServer> nodes = new ArrayList<>();
    private final List<Hub> hubs = new ArrayList<>();

    @BeforeEach
    void startCluster() throws Exception {
        for (int i = 0; i < 6; i++) {
            nodes.add(RedisServer.start("--cluster-enabled", "yes", "--cluster-node-timeout", "1000",
                    "--cluster-require-full-coverage", "no"));
        }
        List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        for (RedisServer n : nodes) {
            create.add("127.0.0.1:" + n.port);
        }
        create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
        Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        for (RedisServer n : nodes) {
            poll("cluster state ok on " + n.port, () -> "ok".equals(clusterState(n)));
        }
    }

    @AfterEach
    void stop() throws Exception {
        hubs.forEach(Hub::close);
        for (RedisServer n : nodes) {
            n.close();
        }
    }

    private static String clusterState(RedisServer n) throws IOException {
        for (String l : n.bulk("CLUSTER", "INFO").split("\r\n")) {
            if (l.startsWith("cluster_state:")) {
                return l.substring("cluster_state:".length());
            }
        }
        return null;
    }

    private String uri() {
        StringJoiner seeds = new StringJoiner(",");
        for (RedisServer n : nodes) {
            seeds.add("127.0.0.1:" + n.port);
        }
        return "redis-cluster://" + seeds;
    }

    private Hub node(String stream) {
        Hub hub = Hub.builder().keepAlive(Duration.ZERO).gapEvent(SseEvent.of("gap", ""))
                .backplane(RedisBackplane.builder(uri()).streamKey(stream).commandTimeout(Duration.ofSeconds(1))
                        .build())
                .build();
        hubs.add(hub);
        return hub;
    }

    /** The primary serving the key's slot, found by where it redirects a read. */
    private RedisServer primaryOf(String key) throws IOException {
        String reply = nodes.get(0).command("TYPE", key);
        int port = reply.startsWith("-MOVED") ? Integer.parseInt(reply.substring(reply.lastIndexOf(':') + 1))
                : nodes.get(0).port;
        return nodes.stream().filter(n -> n.port == port).findFirst().orElseThrow();
    }

    private RedisServer replicaOf(RedisServer primary) throws IOException {
        for (RedisServer n : nodes) {
            if (n != primary && Integer.toString(primary.port).equals(n.info("replication", "master_port"))) {
                return n;
            }
        }
        throw new AssertionError("no replica of " + primary.port);
    }

    @Test
    void hubsSpreadOverShardsAndAPrimaryFailingOverStopsOnlyItsOwnHubBrieflyWithNothingLostOrDoubled()
            throws Exception {
        String events = "sse:{events}";
        String prices = "sse:{prices}";
        RedisServer eventsPrimary = primaryOf(events);
        assertThat(primaryOf(prices)).as("the two hubs' streams on different shards").isNotSameAs(eventsPrimary);

        Hub eventsA = node(events);
        Hub eventsB = node(events);
        Hub pricesA = node(prices);
        RecordingChannel onEventsB = RecordingChannel.open(eventsB);
        RecordingChannel onPrices = RecordingChannel.open(pricesA, ChannelOptions.defaults());
        List<String> sent = new ArrayList<>();
        List<String> pricesSent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sent.add(eventsA.broadcast(SseEvent.data("before " + i)));
            pricesSent.add(pricesA.broadcast(SseEvent.data("price " + i)));
        }
        Recordings.awaitIds(onEventsB, 20, WAIT);
        RedisServer replica = replicaOf(eventsPrimary);
        poll("the replica caught up", () -> {
            String offset = eventsPrimary.info("replication", "master_repl_offset");
            return offset != null && offset.equals(replica.info("replication", "master_repl_offset"));
        });

        long killedAt = System.nanoTime();
        eventsPrimary.kill();
        int failures = 0;
        long slowestFailureMs = 0;
        String first = null;
        while (first == null) {
            // The other shard takes every broadcast meanwhile.
            pricesSent.add(pricesA.broadcast(SseEvent.data("price during")));
            long t = System.nanoTime();
            try {
                first = eventsA.broadcast(SseEvent.data("after 0"));
            } catch (RedisUnavailableException e) {
                failures++;
                slowestFailureMs = Math.max(slowestFailureMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t));
                assertThat(System.nanoTime() - killedAt).as("failover within the wait").isLessThan(WAIT.toNanos());
                Thread.sleep(50);
            }
        }
        long resumedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        sent.add(first);
        for (int i = 1; i < 20; i++) {
            sent.add((i % 2 == 0 ? eventsA : eventsB).broadcast(SseEvent.data("after " + i)));
        }

        assertThat(Recordings.awaitIds(onEventsB, 40, WAIT)).containsExactlyElementsOf(sent);
        assertThat(onEventsB.events()).noneMatch(f -> "gap".equals(f.event()));
        assertThat(Recordings.awaitIds(onPrices, pricesSent.size(), WAIT)).containsExactlyElementsOf(pricesSent);
        assertThat(failures).as("broadcasts failed while the shard had no primary").isPositive();
        assertThat(slowestFailureMs).as("each within the command timeout").isLessThan(1500);
        assertThat(replica.info("replication", "role")).isEqualTo("master");
        System.out.printf("Cluster failover: primary of %s killed; %d broadcasts failed fast (slowest %d ms), %d on "
                + "the other shard all taken; the first one taken by the promoted replica %d ms after the kill%n",
                events, failures, slowestFailureMs, pricesSent.size() - 20, resumedMs);
    }

    private interface Check {
        boolean ok() throws IOException;
    }

    private static void poll(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                if (check.ok()) {
                    return;
                }
            } catch (IOException notYet) {
                // Not answering yet.
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
