package dev.sse.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The shared frame log and the cursors that read it. */
class FrameLogTest {

    /** A scheduler whose tasks run only when the test says: what a broadcast leaves to the hub's walk stays visible. */
    static final class ManualScheduler extends ScheduledThreadPoolExecutor {
        private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();

        ManualScheduler() {
            super(1);
        }

        @Override
        public void execute(Runnable command) {
            tasks.add(command);
        }

        int runPending() {
            int n = 0;
            Runnable r;
            while ((r = tasks.poll()) != null) {
                r.run();
                n++;
            }
            return n;
        }
    }

    /** Counts wake-ups; drains only when the test polls. */
    static class CountingTransport implements Transport {
        final AtomicInteger wakes = new AtomicInteger();
        volatile FrameSource source;

        @Override
        public void attach(FrameSource frames) {
            source = frames;
        }

        @Override
        public void framesAvailable() {
            wakes.incrementAndGet();
        }

        @Override
        public void close() {
        }

        List<SseFrame> drain() {
            List<SseFrame> out = new ArrayList<>();
            SseFrame f;
            while ((f = source.poll()) != null) {
                out.add(f);
            }
            return out;
        }
    }

    private final ManualScheduler scheduler = new ManualScheduler();
    private Hub hub;

    @AfterEach
    void tearDown() {
        if (hub != null) {
            hub.close();
        }
        scheduler.shutdownNow();
    }

    private Hub.Builder hub() {
        return Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).scheduler(scheduler);
    }

    @Test
    void aBroadcastToTenThousandChannelsDoesNoPerChannelWorkOnThePublishersThread() {
        hub = hub().build();
        List<CountingTransport> transports = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            CountingTransport t = new CountingTransport();
            hub.open(t);
            transports.add(t);
        }
        scheduler.runPending();

        hub.broadcast(SseEvent.data("to all"));

        // Returned: nothing was done per channel on this thread; one walk waits on the scheduler.
        assertThat(hub.channelsServiced()).isZero();
        assertThat(transports).allSatisfy(t -> assertThat(t.wakes.get()).isZero());
        assertThat(scheduler.runPending()).isEqualTo(1);
        assertThat(hub.channelsServiced()).isEqualTo(10_000);
        assertThat(transports).allSatisfy(t -> assertThat(t.wakes.get()).isEqualTo(1));

        // Every stream gets the very frame the broadcast encoded: nothing is copied per stream.
        SseFrame first = transports.get(0).drain().get(0);
        assertThat(first.event().data()).isEqualTo("to all");
        assertThat(transports.subList(1, transports.size()))
                .allSatisfy(t -> assertThat(t.drain()).singleElement().isSameAs(first));
    }

    @Test
    void broadcastsWhileAWalkIsPendingShareIt() {
        hub = hub().build();
        CountingTransport t = new CountingTransport();
        hub.open(t);
        openIdle(Hub.INLINE_WALK_MAX);

        for (int i = 0; i < 50; i++) {
            hub.broadcast(SseEvent.data("e" + i));
        }

        assertThat(scheduler.runPending()).isEqualTo(1);
        assertThat(t.wakes.get()).isEqualTo(1);
        assertThat(t.drain()).hasSize(50);
    }

    @Test
    void topicsAreFilteredWhereTheWriterReads() {
        hub = hub().build();
        CountingTransport news = new CountingTransport();
        CountingTransport sport = new CountingTransport();
        CountingTransport all = new CountingTransport();
        hub.open(news, ChannelOptions.builder().topics(Set.of("news")).build());
        hub.open(sport, ChannelOptions.builder().topics(Set.of("sport")).build());
        hub.open(all);

        hub.broadcast("news", SseEvent.data("n1"));
        hub.broadcast("sport", SseEvent.data("s1"));
        hub.broadcast(SseEvent.data("everyone"));
        hub.broadcast("news", SseEvent.data("n2"));
        scheduler.runPending();

        assertThat(data(news.drain())).containsExactly("n1", "everyone", "n2");
        assertThat(data(sport.drain())).containsExactly("s1", "everyone");
        assertThat(data(all.drain())).containsExactly("everyone");
    }

    @Test
    void aTopicSubscribedLaterReachesOnlyWhatIsBroadcastAfterAndOneLeftStillDeliversWhatCameBefore() {
        hub = hub().build();
        CountingTransport t = new CountingTransport();
        EventChannel ch = hub.open(t);

        hub.broadcast("news", SseEvent.data("before"));
        ch.subscribe("news");
        hub.broadcast("news", SseEvent.data("while"));
        ch.unsubscribe("news");
        hub.broadcast("news", SseEvent.data("after"));
        scheduler.runPending();

        assertThat(data(t.drain())).containsExactly("while");
    }

    @Test
    void aWokenCursorPastItsFrameLimitIsDisconnected() {
        hub = hub().maxQueuedFrames(5).build();
        CountingTransport stalled = new CountingTransport();
        EventChannel ch = hub.open(stalled);
        CountingTransport reading = new CountingTransport();
        EventChannel readingChannel = hub.open(reading);

        for (int i = 0; i < 5; i++) {
            hub.broadcast(SseEvent.data("e" + i));
        }
        scheduler.runPending();
        assertThat(stalled.wakes.get()).isEqualTo(1);
        assertThat(reading.drain()).hasSize(5);
        assertThat(ch.isOpen()).isTrue();
        assertThat(ch.queuedFrames()).isEqualTo(5);

        hub.broadcast(SseEvent.data("one too many"));
        scheduler.runPending();

        assertThat(ch.isOpen()).isFalse();
        assertThat(hub.stats().closed(CloseReason.SLOW_CLIENT)).isEqualTo(1);
        assertThat(readingChannel.isOpen()).isTrue();
        assertThat(data(reading.drain())).containsExactly("one too many");
    }

    @Test
    void aWokenCursorPastItsByteLimitKeepsTheNewestUnderDropOldest() {
        hub = hub().maxQueuedBytes(100).slowClientPolicy(SlowClientPolicy.dropOldest()).build();
        CountingTransport stalled = new CountingTransport();
        EventChannel ch = hub.open(stalled);
        hub.broadcast(SseEvent.data("first"));
        scheduler.runPending();

        for (int i = 1; i <= 10; i++) {
            hub.broadcast(SseEvent.data("x".repeat(30) + i));
        }
        scheduler.runPending();

        List<String> left = data(stalled.drain());
        assertThat(ch.isOpen()).isTrue();
        assertThat(left).containsExactly("x".repeat(30) + 9, "x".repeat(30) + 10);
        assertThat(ch.droppedFrames()).isEqualTo(9);
        assertThat(hub.stats().dropped()).isEqualTo(9);
    }

    @Test
    void aWokenCursorPastItsLimitsCoalescesByKey() {
        hub = hub().maxQueuedFrames(3).slowClientPolicy(SlowClientPolicy.coalesce(SseEvent::event)).build();
        CountingTransport stalled = new CountingTransport();
        EventChannel ch = hub.open(stalled);
        hub.broadcast(SseEvent.of("cpu", "1"));
        scheduler.runPending();

        hub.broadcast(SseEvent.of("mem", "1G"));
        hub.broadcast(SseEvent.of("cpu", "2"));
        hub.broadcast(SseEvent.of("mem", "2G"));
        hub.broadcast(SseEvent.of("disk", "5%"));
        scheduler.runPending();

        List<String> left = new ArrayList<>();
        for (SseFrame f : stalled.drain()) {
            left.add(f.event().event() + "=" + f.event().data());
        }
        assertThat(ch.isOpen()).isTrue();
        assertThat(left).containsExactly("cpu=2", "mem=2G", "disk=5%");
        assertThat(ch.droppedFrames()).isEqualTo(2);
    }

    @Test
    void aSendKeepsItsPlaceAfterBroadcastsTheWriterHasNotRead() {
        hub = hub().build();
        CountingTransport t = new CountingTransport();
        EventChannel ch = hub.open(t);

        hub.broadcast(SseEvent.data("broadcast 1"));
        ch.send(SseEvent.data("just you"));
        hub.broadcast(SseEvent.data("broadcast 2"));
        scheduler.runPending();

        assertThat(data(t.drain())).containsExactly("broadcast 1", "just you", "broadcast 2");
    }

    @Test
    void publishersThatOutrunTheWalksWalkThemselvesSoNoWriterIsLeftUntoldWhileTheLogMovesOn() {
        hub = hub().maxQueuedFrames(4).slowClientPolicy(SlowClientPolicy.dropOldest()).build();
        CountingTransport t = new CountingTransport();
        EventChannel ch = hub.open(t);
        openIdle(Hub.INLINE_WALK_MAX);
        // The scheduler never runs here: only the publishers' own help reaches the channel. The log holds 16.
        for (int i = 0; i < 100; i++) {
            hub.broadcast(SseEvent.data("e" + i));
        }

        assertThat(t.wakes.get()).isEqualTo(1);
        assertThat(hub.channelsServiced()).isPositive();
        List<String> got = data(t.drain());
        assertThat(ch.isOpen()).isTrue();
        assertThat(got).hasSizeLessThanOrEqualTo(8).last().isEqualTo("e99");
        assertThat(ch.droppedFrames()).isEqualTo(100 - got.size());
    }

    @Test
    void aWriterTheLogLeftBehindIsDisconnectedUnderDisconnect() {
        hub = hub().maxQueuedFrames(4).build();
        CountingTransport t = new CountingTransport();
        EventChannel ch = hub.open(t);
        for (int i = 0; i < 3; i++) {
            hub.broadcast(SseEvent.data("e" + i));
        }
        // Nothing woke the writer (no walk ran); the log of 16 then moves on past its cursor in one go.
        FrameLog log = logOf(hub);
        for (int i = 0; i < 20; i++) {
            log.append(SseFrame.of(SseEvent.data("direct" + i)), null, null);
        }

        assertThat(t.drain()).isEmpty();
        assertThat(ch.isOpen()).isFalse();
        assertThat(hub.stats().closed(CloseReason.SLOW_CLIENT)).isEqualTo(1);
    }

    @Test
    void theLogHoldsItsNewestEntriesByCountAndByBytes() {
        FrameLog log = new FrameLog(16, 1000);
        for (int i = 0; i < 20; i++) {
            log.append(SseFrame.of(SseEvent.data("e" + i)), null, null);
        }
        assertThat(log.head()).isEqualTo(4);
        assertThat(log.get(3)).isNull();
        assertThat(log.get(4).frame().event().data()).isEqualTo("e4");
        assertThat(log.get(19).frame().event().data()).isEqualTo("e19");

        log.append(SseFrame.of(SseEvent.data("y".repeat(990))), null, null);
        assertThat(log.head()).isEqualTo(20);
        assertThat(log.get(19)).isNull();
        assertThat(log.get(20)).isNotNull();
    }

    /** Enough channels that broadcasts hand their walk to the scheduler instead of walking inline. */
    private void openIdle(int n) {
        for (int i = 0; i < n; i++) {
            CountingTransport reader = new CountingTransport() {
                @Override
                public void framesAvailable() {
                    super.framesAvailable();
                    drain();
                }
            };
            hub.open(reader);
        }
    }

    @Test
    void aFewChannelsAreWalkedOnTheBroadcastingThreadAndAStalledOnePastItsLimitsIsClosedAtOnce() {
        hub = hub().maxQueuedFrames(2).build();
        CountingTransport stalled = new CountingTransport();
        EventChannel ch = hub.open(stalled);

        for (int i = 0; i < 3; i++) {
            hub.broadcast(SseEvent.data("e" + i));
        }

        assertThat(scheduler.runPending()).isZero();
        assertThat(stalled.wakes.get()).isEqualTo(1);
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aWriterWokenAlreadyPastItsLimitsIsJudgedByAFollowingWalkWithoutAnotherBroadcast() {
        hub = hub().maxQueuedFrames(2).build();
        CountingTransport stalled = new CountingTransport();
        EventChannel ch = hub.open(stalled);
        openIdle(Hub.INLINE_WALK_MAX);
        for (int i = 0; i < 3; i++) {
            hub.broadcast(SseEvent.data("e" + i));
        }

        assertThat(scheduler.runPending()).isEqualTo(2);

        assertThat(stalled.wakes.get()).isEqualTo(1);
        assertThat(ch.isOpen()).isFalse();
        assertThat(hub.stats().closed(CloseReason.SLOW_CLIENT)).isEqualTo(1);
    }

    private static FrameLog logOf(Hub hub) {
        return hub.frameLog();
    }

    private static List<String> data(List<SseFrame> frames) {
        List<String> out = new ArrayList<>();
        for (SseFrame f : frames) {
            out.add(f.event().data());
        }
        return out;
    }
}
