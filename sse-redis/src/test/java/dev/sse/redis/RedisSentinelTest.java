package dev.sse.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.ChannelOptions;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.HubListener;
import dev.sse.core.SseEvent;
import dev.sse.test.RecordingChannel;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A primary, a replica and one Sentinel (quorum 1: the agreement between Sentinels is Redis's own business; what is
 * ours is that each new connection asks a Sentinel for the primary, and that a node finds out what the promoted replica
 * lacks), real processes on loopback ports. The primary is killed; Sentinel promotes the replica after about a second.
 */
class RedisSentinelTest {

    private static final Duration WAIT = Duration.ofSeconds(40);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(1);
    private RedisServer primary;
    private RedisServer replica;
    private RedisServer sentinel;
    private final List<Hub> hubs = new ArrayList<>();
    private final AtomicInteger gaps = new AtomicInteger();
    private final CountDownLatch gapSignalled = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        primary = RedisServer.start();
        replica = RedisServer.start("--replicaof", "127.0.0.1", Integer.toString(primary.port),
                "--enable-debug-command", "local");
        sentinel = RedisServer.sentinel(primary.port, 1000, 3000);
        poll("the replica in sync and known to Sentinel", () -> "up".equals(replica.info("replication",
                "master_link_status")) && "*1".equals(sentinel.command("SENTINEL", "REPLICAS", "mymaster")));
    }

    @AfterEach
    void stop() throws Exception {
        hubs.forEach(Hub::close);
        for (RedisServer s : new RedisServer[] {sentinel, replica, primary}) {
            if (s != null) {
                s.close();
            }
        }
    }

    private String uri() {
        return "redis-sentinel://127.0.0.1:" + sentinel.port + "#mymaster";
    }

    private Hub node() {
        return node(RedisBackplane.builder(uri()).streamKey("sse:{failover}").commandTimeout(COMMAND_TIMEOUT).build());
    }

    /** As the servlet's {@code backplane} init-param makes it. */
    private Hub nodeFromInitParam() {
        return node(new RedisBackplaneProvider().create(java.net.URI.create("redis-sentinel://127.0.0.1:"
                + sentinel.port + "?commandTimeout=PT1S#mymaster"), "failover"));
    }

    private Hub node(dev.sse.core.spi.Backplane backplane) {
        Hub hub = Hub.builder().keepAlive(Duration.ZERO).gapEvent(SseEvent.of("gap", ""))
                .listener(new HubListener() {
                    @Override
                    public void onResumeGap(EventChannel channel) {
                        gaps.incrementAndGet();
                        gapSignalled.countDown();
                    }
                })
                .backplane(backplane)
                .build();
        hubs.add(hub);
        return hub;
    }

    /** Waits until everything the primary took has reached the replica. */
    private void awaitReplicated() throws Exception {
        poll("the replica caught up", () -> {
            String sent = primary.info("replication", "master_repl_offset");
            return sent != null && sent.equals(replica.info("replication", "master_repl_offset"));
        });
    }

    @Test
    void primaryKilledBroadcastsFailFastThenGoToThePromotedReplicaWithNothingLostOrDoubled() throws Exception {
        Hub a = node();
        Hub b = nodeFromInitParam();
        RecordingChannel onB = RecordingChannel.open(b);
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sent.add(a.broadcast(SseEvent.data("before " + i)));
        }
        Recordings.awaitIds(onB, 20, WAIT);
        awaitReplicated();

        long killedAt = System.nanoTime();
        primary.kill();
        int failures = 0;
        long slowestFailureMs = 0;
        String first = null;
        while (first == null) {
            long t = System.nanoTime();
            try {
                first = a.broadcast(SseEvent.data("after 0"));
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
            sent.add((i % 2 == 0 ? a : b).broadcast(SseEvent.data("after " + i)));
        }

        assertThat(Recordings.awaitIds(onB, 40, WAIT)).containsExactlyElementsOf(sent);
        assertThat(onB.events()).noneMatch(f -> "gap".equals(f.event()));
        assertThat(gaps).hasValue(0);
        assertThat(failures).as("broadcasts failed while no primary was known").isPositive();
        assertThat(slowestFailureMs).as("each within the command timeout").isLessThan(1500);
        assertThat(sentinel.array("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"))
                .containsExactly("127.0.0.1", Integer.toString(replica.port));
        System.out.printf("Sentinel failover: primary killed; %d broadcasts failed fast (slowest %d ms); the first "
                + "one taken by the promoted replica %d ms after the kill%n", failures, slowestFailureMs, resumedMs);
    }

    @Test
    void entriesThePromotedReplicaNeverGotAreAGapForClientsThatHadThemAndOnlyThen() throws Exception {
        Hub a = node();
        Hub b = node();
        RecordingChannel onA = RecordingChannel.open(a);
        RecordingChannel onB = RecordingChannel.open(b);
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            kept.add(a.broadcast(SseEvent.data("kept " + i)));
        }
        Recordings.awaitIds(onB, 5, WAIT);
        awaitReplicated();

        // The replica drops its link to the primary and sleeps two seconds, both in one packet so that it cannot
        // reconnect in between: what the primary takes now reaches the clients but never the replica.
        replica.sendTogether(new String[] {"CLIENT", "KILL", "TYPE", "master"}, new String[] {"DEBUG", "SLEEP", "2"});
        List<String> lost = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            lost.add(a.broadcast(SseEvent.data("lost " + i)));
        }
        Recordings.awaitIds(onB, 10, WAIT);
        primary.kill();

        String after = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (after == null) {
            try {
                after = a.broadcast(SseEvent.data("after"));
            } catch (RedisUnavailableException e) {
                assertThat(System.nanoTime()).as("failover within the wait").isLessThan(deadline);
                Thread.sleep(50);
            }
        }

        assertThat(gapSignalled.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("open client told of the gap").isTrue();
        String afterId = after;
        onB.awaitEvent(f -> afterId.equals(f.id()), WAIT);
        List<String> ids = onB.events().stream()
                .map(f -> f.id() != null ? f.id() : f.event()).toList();
        List<String> expected = new ArrayList<>(kept);
        expected.addAll(lost);
        expected.add("gap");
        expected.add(after);
        assertThat(ids).containsExactlyElementsOf(expected);

        // A client coming back with a lost id is told too; one with a kept id gets what the stream holds after it.
        // (Once A's reader has noticed as well: until then A's mirror still holds the lost ids, and a client resumed
        // there is told of the gap live, when A notices.)
        onA.awaitEvent(f -> "gap".equals(f.event()), WAIT);
        assertThat(RecordingChannel.open(a, ChannelOptions.builder().lastEventId(lost.get(2)).build()).channel().resumeGap())
                .isTrue();
        RecordingChannel fromKept = RecordingChannel.open(a, ChannelOptions.builder().lastEventId(kept.get(2)).build());
        assertThat(fromKept.channel().resumeGap()).isFalse();
        // `after` comes in the replay if A's reader has delivered it already, else live right behind it: once either way.
        assertThat(Recordings.awaitIds(fromKept, 3, WAIT)).containsExactly(kept.get(3), kept.get(4), after);
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
