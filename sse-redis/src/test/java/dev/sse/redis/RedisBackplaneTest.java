package dev.sse.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.core.ChannelOptions;
import dev.sse.core.CloseReason;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import dev.sse.test.RecordingChannel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** Hubs on three nodes over one real Redis stream act as one hub. */
class RedisBackplaneTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static RedisServer redis;

    private final List<Hub> hubs = new ArrayList<>();
    private String stream;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.close();
    }

    @BeforeEach
    void streamPerTest(TestInfo info) {
        stream = "sse:" + info.getTestMethod().orElseThrow().getName();
    }

    @AfterEach
    void closeHubs() {
        hubs.forEach(Hub::close);
    }

    private Hub node() {
        return node(b -> b);
    }

    private Hub node(UnaryOperator<RedisBackplane.Builder> config) {
        RedisBackplane plane = config.apply(RedisBackplane.builder(redis.uri()).streamKey(stream)).build();
        Hub hub = Hub.builder().keepAlive(Duration.ZERO).gapEvent(SseEvent.of("gap", "")).backplane(plane).build();
        hubs.add(hub);
        return hub;
    }

    private static ChannelOptions resumeFrom(String id) {
        return ChannelOptions.builder().lastEventId(id).build();
    }

    private static void assertIncreasing(List<String> ids) {
        for (int i = 1; i < ids.size(); i++) {
            assertThat(StreamId.parse(ids.get(i)).compareTo(StreamId.parse(ids.get(i - 1))))
                    .as("id %s after %s", ids.get(i), ids.get(i - 1)).isPositive();
        }
    }

    @Test
    void broadcastOnOneNodeReachesChannelsOnEveryNodeWithTheSameIdsInOrder() throws Exception {
        Hub a = node();
        Hub b = node();
        Hub c = node();
        RecordingChannel onA = RecordingChannel.open(a);
        RecordingChannel onB = RecordingChannel.open(b);
        RecordingChannel onC = RecordingChannel.open(c);

        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sent.add(a.broadcast(SseEvent.data("e" + i)));
        }

        assertThat(sent).allMatch(id -> id.matches("\\d+-\\d+"));
        assertIncreasing(sent);
        for (RecordingChannel r : List.of(onA, onB, onC)) {
            r.awaitEvents(20, WAIT);
            assertThat(r.ids()).containsExactlyElementsOf(sent);
        }
        assertThat(onB.wire()).isEqualTo(onC.wire());
    }

    @Test
    void threeNodesPublishingConcurrentlyGiveEveryChannelEveryEventOnceInOneGlobalOrder() throws Exception {
        List<Hub> nodes = List.of(node(), node(), node());
        List<RecordingChannel> recorders = new ArrayList<>();
        for (Hub n : nodes) {
            recorders.add(RecordingChannel.open(n));
            recorders.add(RecordingChannel.open(n));
        }
        int perNode = 300;
        ConcurrentLinkedQueue<String> sent = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            Hub hub = nodes.get(n);
            int node = n;
            done.add(pool.submit(() -> {
                go.await();
                for (int i = 0; i < perNode; i++) {
                    sent.add(hub.broadcast(SseEvent.data(node + ":" + i)));
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();

        List<String> order = recorders.get(0).awaitEvents(3 * perNode, WAIT).stream().map(SseEvent::id).toList();
        assertThat(order).hasSize(3 * perNode).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(sent);
        assertIncreasing(order);
        for (RecordingChannel r : recorders) {
            r.awaitEvents(3 * perNode, WAIT);
            assertThat(r.ids()).containsExactlyElementsOf(order);
        }
        // Each node's own events keep the order it published them in.
        for (int n = 0; n < 3; n++) {
            String prefix = n + ":";
            List<String> own = new ArrayList<>();
            for (String d : recorders.get(0).data()) {
                if (d.startsWith(prefix)) {
                    own.add(d);
                }
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < perNode; i++) {
                expected.add(prefix + i);
            }
            assertThat(own).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void channelClosedOnOneNodeResumesOnAnotherWhileEveryNodeKeepsPublishing() throws Exception {
        Hub a = node();
        Hub b = node();
        Hub c = node();
        RecordingChannel reference = RecordingChannel.open(b);
        RecordingChannel seenOnC = RecordingChannel.open(c);
        RecordingChannel first = RecordingChannel.open(a);
        int perNode = 200;
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<?>> done = new ArrayList<>();
        for (Hub hub : List.of(a, b, c)) {
            done.add(pool.submit(() -> {
                for (int i = 0; i < perNode; i++) {
                    hub.broadcast(SseEvent.data("x" + i));
                }
                return null;
            }));
        }
        first.awaitEvents(100, WAIT);
        first.channel().close(CloseReason.CLIENT_GONE);
        List<String> beforeMove = first.ids();
        String last = beforeMove.get(beforeMove.size() - 1);
        // A browser reconnects after its retry delay (seconds); the target node has read that far by then.
        seenOnC.awaitEvent(e -> last.equals(e.id()), WAIT);
        RecordingChannel moved = RecordingChannel.open(c, resumeFrom(last));
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();

        reference.awaitEvents(3 * perNode, WAIT);
        List<String> all = reference.ids();
        moved.awaitEvents(3 * perNode - beforeMove.size(), WAIT);
        List<String> afterMove = moved.ids();
        List<String> joined = new ArrayList<>(beforeMove);
        joined.addAll(afterMove);
        assertThat(joined).containsExactlyElementsOf(all);
        assertThat(moved.channel().resumeGap()).isFalse();
    }

    @Test
    void clientResumesFromTheStreamOnANodeThatStartedAfterItsEvents() throws Exception {
        Hub a = node();
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            sent.add(a.broadcast(SseEvent.data("old" + i)));
        }
        Hub late = node();
        RecordingChannel resumed = RecordingChannel.open(late, resumeFrom(sent.get(4)));
        String live = a.broadcast(SseEvent.data("live"));

        List<String> expected = new ArrayList<>(sent.subList(5, 30));
        expected.add(live);
        resumed.awaitEvents(26, WAIT);
        assertThat(resumed.ids()).containsExactlyElementsOf(expected);
        assertThat(resumed.channel().resumeGap()).isFalse();
    }

    @Test
    void clientResumingOnARestartedNodeWithTheNewestIdGetsEveryLaterEvent() throws Exception {
        Hub a = node();
        Hub b = node();
        String newest = a.broadcast(SseEvent.data("before the deploy"));
        b.close();
        // The deploy: node 2 starts again after the newest entry, and the client comes back with exactly that id.
        Hub restarted = node();
        RecordingChannel resumed = RecordingChannel.open(restarted, resumeFrom(newest));
        RecordingChannel fresh = RecordingChannel.open(restarted);
        List<String> later = List.of(a.broadcast(SseEvent.data("after 1")), a.broadcast(SseEvent.data("after 2")));

        fresh.awaitEvents(2, WAIT);
        assertThat(fresh.ids()).containsExactlyElementsOf(later);
        resumed.awaitEvents(2, WAIT);
        assertThat(resumed.ids()).containsExactlyElementsOf(later);
        assertThat(resumed.channel().resumeGap()).isFalse();
    }

    @Test
    void reconnectStormIsReplayedFromTheMirrorWithoutAskingRedis() throws Exception {
        Hub a = node();
        RecordingChannel watcher = RecordingChannel.open(a);
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sent.add(a.broadcast(SseEvent.data("m" + i)));
        }
        watcher.awaitEvents(50, WAIT);

        long before = redis.calls("xrange");
        for (int i = 0; i < 100; i++) {
            RecordingChannel r = RecordingChannel.open(a, resumeFrom(sent.get(9)));
            assertThat(r.ids()).containsExactlyElementsOf(sent.subList(10, 50));
        }
        assertThat(redis.calls("xrange")).isEqualTo(before);
    }

    @Test
    void withoutMirrorEveryResumeAsksRedis() throws Exception {
        Hub a = node(b -> b.mirrorSize(0));
        RecordingChannel watcher = RecordingChannel.open(a);
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sent.add(a.broadcast(SseEvent.data("m" + i)));
        }
        watcher.awaitEvents(5, WAIT);

        long before = redis.calls("xrange");
        RecordingChannel r = RecordingChannel.open(a, resumeFrom(sent.get(1)));
        assertThat(r.ids()).containsExactlyElementsOf(sent.subList(2, 5));
        assertThat(redis.calls("xrange")).isGreaterThan(before);
    }

    @Test
    void resumeFromAnIdTrimmedFromTheStreamReportsAGapAndReplaysWhatIsHeld() throws Exception {
        Hub a = node(b -> b.maxLength(10));
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            sent.add(a.broadcast(SseEvent.data("t" + i)));
        }
        long held = redis.integer("XLEN", stream);
        assertThat(held).as("approximate trimming keeps whole nodes").isLessThan(400);
        Hub late = node(b -> b.maxLength(10));

        RecordingChannel resumed = RecordingChannel.open(late, resumeFrom(sent.get(0)));

        assertThat(resumed.channel().resumeGap()).isTrue();
        assertThat(resumed.events().get(0).event()).isEqualTo("gap");
        assertThat(resumed.ids()).containsExactlyElementsOf(sent.subList((int) (400 - held), 400));
    }

    @Test
    void idThatIsNoStreamIdResumesWithAGapNotAnError() throws Exception {
        Hub a = node();
        RecordingChannel watcher = RecordingChannel.open(a);
        a.broadcast(SseEvent.data("x"));
        watcher.awaitEvents(1, WAIT);
        for (String bogus : List.of("42", "abc", "1-2-3", "-1", "99999999999999999999999-0", "1-")) {
            RecordingChannel r = RecordingChannel.open(a, resumeFrom(bogus));
            assertThat(r.channel().resumeGap()).as(bogus).isTrue();
            assertThat(r.ids()).as(bogus).isEmpty();
            assertThat(r.closed()).as(bogus).isFalse();
        }
    }

    @Test
    void idFromBeyondTheStreamsEndIsAGap() throws Exception {
        Hub a = node(b -> b.mirrorSize(0));
        RecordingChannel watcher = RecordingChannel.open(a);
        String id = a.broadcast(SseEvent.data("x"));
        watcher.awaitEvents(1, WAIT);
        StreamId future = StreamId.parse(id);
        RecordingChannel r = RecordingChannel.open(a, resumeFrom((future.millis() + 60_000) + "-0"));
        assertThat(r.channel().resumeGap()).isTrue();
        assertThat(r.ids()).isEmpty();
    }

    @Test
    void topicsAreHonouredAcrossNodesLiveAndOnResume() throws Exception {
        Hub a = node();
        Hub b = node();
        RecordingChannel news = RecordingChannel.open(b, ChannelOptions.builder().topics(Set.of("news")).build());
        RecordingChannel all = RecordingChannel.open(b);

        String first = a.broadcast("news", SseEvent.data("n1"));
        a.broadcast("sport", SseEvent.data("s1"));
        String everyone = a.broadcast(SseEvent.data("all"));
        a.broadcast("news", SseEvent.data("n2"));

        news.awaitEvents(3, WAIT);
        assertThat(news.data()).containsExactly("n1", "all", "n2");
        all.awaitEvents(1, WAIT);
        assertThat(all.data()).containsExactly("all");
        Hub c = node(p -> p.mirrorSize(0));
        RecordingChannel resumed = RecordingChannel.open(c,
                ChannelOptions.builder().topics(Set.of("news")).lastEventId(first).build());
        assertThat(resumed.data()).containsExactly("all", "n2");
        assertThat(everyone).isNotNull();
    }

    @Test
    void absentDataEmptyDataAndEveryFieldSurviveTheStream() throws Exception {
        Hub a = node();
        Hub b = node();
        RecordingChannel onB = RecordingChannel.open(b);
        SseEvent full = SseEvent.builder().event("update").data("line1\nline2\n\u00e9\ud83d\ude00 lone \ud800!")
                .retry(Duration.ofMillis(1500)).comment("c").build();
        String fullId = a.broadcast(full);
        String emptyId = a.broadcast(SseEvent.data(""));
        assertThat(a.broadcast(SseEvent.comment("just a comment"))).isNull();
        String lastId = a.broadcast(SseEvent.of("done", "."));

        onB.awaitEvents(4, WAIT);
        assertThat(onB.wire()).isEqualTo(SseFrame.of(full.withId(fullId)).toString()
                + SseFrame.of(SseEvent.data("").withId(emptyId)) + SseFrame.of(SseEvent.comment("just a comment"))
                + SseFrame.of(SseEvent.of("done", ".").withId(lastId)));

        Hub c = node(p -> p.mirrorSize(0));
        RecordingChannel replayed = RecordingChannel.open(c, resumeFrom(fullId));
        assertThat(replayed.ids()).containsExactly(emptyId, lastId);
        assertThat(replayed.events().get(0).data()).isEmpty();
    }

    @Test
    void applicationIdIsRefusedBecauseTheEntryIdIsTheSseId() {
        Hub a = node();
        assertThatThrownBy(() -> a.broadcast(SseEvent.data("x").withId("7")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("event id")
                .hasMessageContaining("\"7\"");
    }

    @Test
    void nodeClosedAndStartedAgainServesResumesOfWhatItMissed() throws Exception {
        Hub a = node();
        Hub b = node();
        RecordingChannel onA = RecordingChannel.open(a);
        String seen = b.broadcast(SseEvent.data("before"));
        onA.awaitEvents(1, WAIT);
        a.close();
        List<String> missed = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            missed.add(b.broadcast(SseEvent.data("while down " + i)));
        }
        Hub again = node();
        RecordingChannel resumed = RecordingChannel.open(again, resumeFrom(seen));
        String live = b.broadcast(SseEvent.data("after"));

        List<String> expected = new ArrayList<>(missed);
        expected.add(live);
        resumed.awaitEvents(11, WAIT);
        assertThat(resumed.ids()).containsExactlyElementsOf(expected);
        assertThat(resumed.channel().resumeGap()).isFalse();
    }

    @Test
    void closingTheHubStopsTheReaderThread() throws Exception {
        Hub a = node();
        String name = "sse-redis-reader-" + stream;
        assertThat(readerThreads(name)).isNotEmpty();
        a.close();
        for (Thread t : readerThreads(name)) {
            t.join(5000);
            assertThat(t.isAlive()).isFalse();
        }
        assertThatThrownBy(() -> a.broadcast(SseEvent.data("x"))).isInstanceOf(RuntimeException.class);
    }

    @Test
    void closingANodeThatUsedEveryConnectionLogsNoWarning() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        System.setErr(new PrintStream(logged, true, StandardCharsets.UTF_8));
        try {
            Hub a = node();
            String id = a.broadcast(SseEvent.data("one"));
            a.broadcast(SseEvent.data("two"));
            // A resume from the stream (the mirror is off) opens the replay connection too.
            Hub b = node(x -> x.mirrorSize(0));
            RecordingChannel resumed = RecordingChannel.open(b, resumeFrom(id));
            assertThat(resumed.awaitEvents(1, WAIT).get(0).data()).isEqualTo("two");
            a.close();
            b.close();
        } finally {
            System.setErr(err);
        }
        // Lettuce warns "Connection is already closed" for each connection closed twice (its disconnect listener
        // and the client's shutdown, before the close went through once).
        assertThat(logged.toString(StandardCharsets.UTF_8)).doesNotContain("WARN");
    }

    private static Set<Thread> readerThreads(String name) {
        Set<Thread> out = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(name)) {
                out.add(t);
            }
        }
        return Collections.unmodifiableSet(out);
    }

    @Test
    void entriesOlderThanMaxAgeAreTrimmedByTheReader() throws Exception {
        MovableClock clock = new MovableClock();
        Hub a = node(b -> b.maxAge(Duration.ofMinutes(1)).clock(clock));
        RecordingChannel watcher = RecordingChannel.open(a);
        for (int i = 0; i < 300; i++) {
            a.broadcast(SseEvent.data("aging" + i));
        }
        watcher.awaitEvents(300, WAIT);
        assertThat(redis.integer("XLEN", stream)).isEqualTo(300);

        clock.advance(Duration.ofHours(1));
        a.broadcast(SseEvent.data("wakes the reader"));

        long deadline = System.nanoTime() + WAIT.toNanos();
        // Approximate trimming (MINID ~) removes whole nodes of the stream: most of the 300, not necessarily all.
        while (redis.integer("XLEN", stream) > 200) {
            assertThat(System.nanoTime()).as("trimmed in time").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** A clock the test moves forward; read by the reader thread. */
    static final class MovableClock extends java.time.Clock {
        private volatile long offsetMillis;

        void advance(Duration d) {
            offsetMillis += d.toMillis();
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public java.time.Instant instant() {
            return java.time.Instant.ofEpochMilli(System.currentTimeMillis() + offsetMillis);
        }
    }
}
