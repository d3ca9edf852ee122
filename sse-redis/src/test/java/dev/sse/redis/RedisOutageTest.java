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
import java.util.concurrent.CompletableFuture;
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
        return node(listener, Duration.ofSeconds(2));
    }

    private Hub node(HubListener listener, Duration commandTimeout) {
        Hub.Builder b = Hub.builder().keepAlive(Duration.ofMillis(200)).gapEvent(SseEvent.of("gap", ""))
                .backplane(RedisBackplane.builder(redis.uri()).streamKey("sse:outage").commandTimeout(commandTimeout)
                        .build());
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
        Recordings.awaitIds(onB, 5, WAIT);

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

        onB.awaitEvent(f -> sent.get(9).equals(f.id()), WAIT);
        List<String> received = onB.events().stream().map(f -> f.id()).filter(id -> id != null).toList();
        // A failed broadcast was written to the paused Redis, which runs it when it continues: the exception says
        // "not known to be taken", so each may appear, once, in order.
        assertThat(received).containsSubsequence(sent).doesNotHaveDuplicates();
        assertThat(received.size()).isBetween(10, 13);
        assertThat(onB.events()).noneMatch(f -> "gap".equals(f.event()));
    }

    @Test
    void broadcastAsyncDoesNotWaitForAPausedRedisAndEachCallerGetsItsOwnIdInCallOrderOnceItContinues()
            throws Exception {
        Hub a = node(null);
        RecordingChannel onA = RecordingChannel.open(a);
        String before = a.broadcast(SseEvent.data("before"));

        redis.pause();
        long start = System.nanoTime();
        List<CompletableFuture<String>> stages = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            stages.add(a.broadcastAsync(SseEvent.data("async " + i)).toCompletableFuture());
        }
        // Publishing on the caller's thread would have waited for Redis 200 times, for 2 s each.
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1000);
        assertThat(stages).noneMatch(CompletableFuture::isDone);
        redis.resume();

        List<String> ids = new ArrayList<>(List.of(before));
        for (CompletableFuture<String> s : stages) {
            ids.add(s.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        }
        for (int i = 1; i < ids.size(); i++) {
            assertThat(StreamId.parse(ids.get(i))).isGreaterThan(StreamId.parse(ids.get(i - 1)));
        }
        assertThat(Recordings.awaitIds(onA, 201, WAIT)).containsExactlyElementsOf(ids);
        assertThat(onA.data().subList(1, 201)).isEqualTo(java.util.stream.IntStream.range(0, 200)
                .mapToObj(i -> "async " + i).toList());
    }

    @Test
    void aLoopPublishingIntoAPausedRedisHoldsAtMost8192InFlightAndEveryCallFailsWithinTheTimeout()
            throws Exception {
        Hub a = node(null, Duration.ofMillis(500));
        a.broadcast(SseEvent.data("connected"));
        redis.pause();
        int calls = XaddPipeline.MAX_IN_FLIGHT + 300;
        List<CompletableFuture<String>> stages = new ArrayList<>(calls);
        long slowestCallMs = 0;
        int mostPending = 0;
        for (int i = 0; i < calls; i++) {
            long t = System.nanoTime();
            stages.add(a.broadcastAsync(SseEvent.data("e" + i)).toCompletableFuture());
            slowestCallMs = Math.max(slowestCallMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t));
            if (i % 512 == 0 || i >= XaddPipeline.MAX_IN_FLIGHT) {
                mostPending = Math.max(mostPending, (int) stages.stream().filter(s -> !s.isDone()).count());
            }
        }
        assertThat(mostPending).as("unanswered at once").isLessThanOrEqualTo(XaddPipeline.MAX_IN_FLIGHT);
        assertThat(slowestCallMs).as("a call waits for a free place at most the command timeout").isLessThan(1500);
        for (CompletableFuture<String> s : stages) {
            assertThatThrownBy(() -> s.get(WAIT.toSeconds(), TimeUnit.SECONDS)).hasCauseInstanceOf(
                    RedisUnavailableException.class);
        }
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
        RecordingChannel onA = RecordingChannel.open(a);
        RecordingChannel onB = RecordingChannel.open(b);
        List<String> before = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            before.add(a.broadcast(SseEvent.data("before" + i)));
        }
        Recordings.awaitIds(onB, 5, WAIT);

        redis.restartEmpty();
        String after = broadcastWhenBack(a, SseEvent.data("after"));

        assertThat(gapsOnB.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("open client told of the gap").isTrue();
        onB.awaitEvent(f -> after.equals(f.id()), WAIT);
        assertThat(onB.events()).anyMatch(f -> "gap".equals(f.event()));
        assertThat(StreamId.parse(after)).isGreaterThan(StreamId.parse(before.get(4)));
        List<String> ids = onB.ids();
        assertThat(ids).containsExactly(before.get(0), before.get(1), before.get(2), before.get(3), before.get(4),
                after);

        // A resume on A once A's own reader has noticed too (until then A's mirror still holds the id).
        onA.awaitEvent(f -> "gap".equals(f.event()), WAIT);
        RecordingChannel resumed = RecordingChannel.open(a, ChannelOptions.builder().lastEventId(before.get(2)).build());
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

        assertThat(Recordings.awaitIds(onA, 1, WAIT)).containsExactly(id);
    }
}
