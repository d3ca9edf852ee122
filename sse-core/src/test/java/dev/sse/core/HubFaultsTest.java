package dev.sse.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.core.spi.EventHistory;
import dev.sse.core.spi.RecordedEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What hostile input and failing user code must not do to a hub: each test is named after the attack or fault. */
class HubFaultsTest {

    private Hub hub;

    @AfterEach
    void closeHub() {
        if (hub != null) {
            hub.close();
        }
    }

    @Test
    void throwingCoalesceKeyDoesNotFreezeTheHub() {
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).maxQueuedFrames(2).slowClientPolicy(SlowClientPolicy.coalesce(e -> {
            if ("boom".equals(e.event())) {
                throw new IllegalStateException("user key function failed");
            }
            return e.event();
        })).build();
        RecordingTransport slow = RecordingTransport.stalled();
        EventChannel slowChannel = slow.openOn(hub);
        RecordingTransport healthy = new RecordingTransport();
        healthy.openOn(hub);

        for (int i = 0; i < 5; i++) {
            hub.broadcast(SseEvent.of("boom", "b" + i));
            hub.broadcast(SseEvent.of("tile", "t" + i));
        }
        HubTest.wokenThenServiced(hub);

        assertThat(healthy.data()).hasSize(10);
        assertThat(slowChannel.isOpen()).isTrue();
        assertThat(slowChannel.queuedFrames()).isLessThanOrEqualTo(2);
        // Every later broadcast still works, and keep-alives too.
        assertThat(hub.broadcast(SseEvent.of("boom", "after"))).isNotNull();
        hub.sendKeepAlives();
        assertThat(healthy.data()).endsWith("after");
    }

    @Test
    void topicOfTheLastSubscriberLeavingIsForgotten() {
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).build();
        List<EventChannel> channels = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            RecordingTransport t = new RecordingTransport();
            channels.add(t.openOn(hub, ChannelOptions.builder().topics(java.util.Set.of("user:" + i)).build()));
        }
        channels.get(0).subscribe("extra");
        assertThat(hub.topicCount()).isEqualTo(1001);
        channels.get(0).unsubscribe("extra");
        for (EventChannel c : channels) {
            c.close(CloseReason.CLIENT_GONE);
        }
        assertThat(hub.topicCount()).isZero();
    }

    @Test
    void subscribeAfterCloseLeavesNoTopicBehind() {
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).build();
        EventChannel ch = new RecordingTransport().openOn(hub);
        ch.close();
        ch.subscribe("late");
        assertThat(hub.topicCount()).isZero();
        assertThat(hub.subscriberCount("late")).isZero();
    }

    @Test
    void errorThrownByAnOpenListenerClosesTheChannelAndKeepsCountsExact() {
        List<String> calls = new CopyOnWriteArrayList<>();
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).listener(new HubListener() {
            @Override
            public void onOpen(EventChannel channel) {
                calls.add("open");
                throw new AssertionError("listener bug");
            }

            @Override
            public void onClose(EventChannel channel, CloseReason reason) {
                calls.add("close " + reason);
            }
        }).build();
        RecordingTransport t = new RecordingTransport();

        assertThatThrownBy(() -> hub.open(t)).isInstanceOf(AssertionError.class);

        assertThat(hub.channelCount()).isZero();
        assertThat(t.closeCalls()).isEqualTo(1);
        assertThat(hub.stats().closed(CloseReason.ERROR)).isEqualTo(1);
        assertThat(calls).containsExactly("open", "close ERROR");
    }

    @Test
    void listenersSeeOpenBeforeCloseEvenWhenTheChannelClosesWhileOpening() {
        List<String> calls = new CopyOnWriteArrayList<>();
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).listener(new HubListener() {
            @Override
            public void onOpen(EventChannel channel) {
                calls.add("open");
            }

            @Override
            public void onClose(EventChannel channel, CloseReason reason) {
                calls.add("close");
            }
        }).build();
        hub.addListener(new HubListener() {
            @Override
            public void onOpen(EventChannel channel) {
                // The second listener closes it, while the first one has already been told of the open.
                channel.close();
            }
        });
        new RecordingTransport().openOn(hub);
        assertThat(calls).containsExactly("open", "close");
    }

    @Test
    void failingHistoryAppendLeavesNoHoleInTheIds() {
        AtomicBoolean fail = new AtomicBoolean();
        EventHistory flaky = new EventHistory() {
            private final EventHistory real = TestClocks.history(100, Duration.ofMinutes(1));

            @Override
            public void append(RecordedEvent event) {
                if (fail.get()) {
                    throw new IllegalStateException("store down");
                }
                real.append(event);
            }

            @Override
            public Replay replay(String lastEventId, long upToSequence) {
                return real.replay(lastEventId, upToSequence);
            }
        };
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).history(flaky).build();
        RecordingTransport t = new RecordingTransport();
        t.openOn(hub);

        assertThat(hub.broadcast(SseEvent.data("a"))).isEqualTo("1");
        fail.set(true);
        assertThatThrownBy(() -> hub.broadcast(SseEvent.data("lost"))).hasMessageContaining("store down");
        fail.set(false);
        assertThat(hub.broadcast(SseEvent.data("c"))).isEqualTo("2");

        assertThat(t.ids()).containsExactly("1", "2");
        assertThat(t.data()).containsExactly("a", "c");
    }

    @Test
    void resumeFromLongAgoReplaysAtMostHalfTheQueueAndReportsTheGap() {
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).maxQueuedFrames(100).gapEvent(SseEvent.of("gap", ""))
                .history(TestClocks.history(1000, Duration.ofMinutes(5))).build();
        for (int i = 1; i <= 500; i++) {
            hub.broadcast(SseEvent.data("e" + i));
        }
        RecordingTransport stalled = RecordingTransport.stalled();
        EventChannel ch = stalled.openOn(hub, ChannelOptions.builder().lastEventId("0").build());

        assertThat(ch.resumeGap()).isTrue();
        // The gap event and the newest 50: room is left for live events, so the next broadcast does not trip the policy.
        assertThat(ch.queuedFrames()).isEqualTo(51);
        hub.broadcast(SseEvent.data("live"));
        assertThat(ch.isOpen()).isTrue();

        RecordingTransport reader = new RecordingTransport();
        reader.openOn(hub, ChannelOptions.builder().lastEventId("0").build());
        assertThat(reader.ids()).first().isEqualTo("452");
        assertThat(reader.data()).first().isEqualTo("");
    }

    @Test
    void replayOfHugeEventsIsBoundedByBytes() {
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).maxQueuedBytes(64 * 1024)
                .history(TestClocks.history(1000, Duration.ofMinutes(5))).build();
        String big = "x".repeat(10_000);
        for (int i = 0; i < 50; i++) {
            hub.broadcast(SseEvent.data(big));
        }
        EventChannel ch = RecordingTransport.stalled().openOn(hub, ChannelOptions.builder().lastEventId("0").build());
        assertThat(ch.queuedBytes()).isLessThanOrEqualTo(32 * 1024);
        assertThat(ch.resumeGap()).isTrue();
    }

    @Test
    void closedHubThrowsHubClosedException() {
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).build();
        hub.close();
        assertThatThrownBy(() -> hub.broadcast(SseEvent.data("x"))).isInstanceOf(HubClosedException.class);
        assertThatThrownBy(() -> hub.open(new RecordingTransport())).isInstanceOf(HubClosedException.class);
    }

    @Test
    void drainOfSomeChannelsCompletesAsSoonAsTheyHaveClosed() throws Exception {
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).build();
        RecordingTransport a = new RecordingTransport();
        RecordingTransport other = new RecordingTransport();
        EventChannel ca = a.openOn(hub);
        other.openOn(hub);

        long start = System.nanoTime();
        CompletableFuture<Void> done = hub.drain(List.of(ca), Duration.ofMillis(200), SseEvent.of("bye", ""));
        done.get(5, TimeUnit.SECONDS);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5000);
        assertThat(a.wire()).endsWith("event: bye\ndata:\n\n");
        assertThat(ca.isOpen()).isFalse();
        assertThat(hub.channelCount()).isEqualTo(1);
        assertThat(hub.drain(List.of(), Duration.ofMinutes(1), null)).isDone();
    }
}
