package dev.sse.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HubTest {

    private Hub hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).build();

    @AfterEach
    void closeHub() {
        hub.close();
    }

    @Test
    void broadcastReachesEveryOpenChannelAsTheSameEncodedFrame() {
        RecordingTransport a = new RecordingTransport();
        RecordingTransport b = new RecordingTransport();
        a.openOn(hub);
        b.openOn(hub);

        hub.broadcast(SseEvent.of("update", "x"));

        assertThat(a.frames()).hasSize(1);
        assertThat(b.frames()).hasSize(1);
        assertThat(a.frames().get(0)).isSameAs(b.frames().get(0));
        assertThat(a.wire()).isEqualTo("id: 1\nevent: update\ndata: x\n\n");
    }

    @Test
    void hubNumbersEventsWithoutIdAndKeepsTheApplicationsIds() {
        RecordingTransport t = new RecordingTransport();
        t.openOn(hub);

        assertThat(hub.broadcast(SseEvent.data("a"))).isEqualTo("1");
        assertThat(hub.broadcast(SseEvent.builder().id("mine").data("b").build())).isEqualTo("mine");
        assertThat(hub.broadcast(SseEvent.data("c"))).isEqualTo("3");
        assertThat(hub.broadcast(SseEvent.comment("no id for comments"))).isNull();

        assertThat(t.ids()).containsExactly("1", "mine", "3");
    }

    @Test
    void fanOutToTenThousandChannels() {
        List<RecordingTransport> transports = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            RecordingTransport t = new RecordingTransport();
            t.openOn(hub);
            transports.add(t);
        }
        assertThat(hub.channelCount()).isEqualTo(10_000);

        for (int n = 0; n < 5; n++) {
            hub.broadcast(SseEvent.data("tick " + n));
        }

        for (RecordingTransport t : transports) {
            assertThat(t.data()).containsExactly("tick 0", "tick 1", "tick 2", "tick 3", "tick 4");
        }
        assertThat(hub.stats().framesSent()).isEqualTo(50_000);
    }

    @Test
    void topicBroadcastReachesOnlySubscribers() {
        RecordingTransport news = new RecordingTransport();
        RecordingTransport sport = new RecordingTransport();
        news.openOn(hub, ChannelOptions.builder().topics(Set.of("news")).build());
        EventChannel sportChannel = sport.openOn(hub);
        sportChannel.subscribe("sport");

        hub.broadcast("news", SseEvent.data("n1"));
        hub.broadcast("sport", SseEvent.data("s1"));
        hub.broadcast(SseEvent.data("all"));
        sportChannel.unsubscribe("sport");
        hub.broadcast("sport", SseEvent.data("s2"));

        assertThat(news.data()).containsExactly("n1", "all");
        assertThat(sport.data()).containsExactly("s1", "all");
        assertThat(hub.subscriberCount("sport")).isZero();
    }

    @Test
    void sendReachesOneChannelAndIsNotRecorded() {
        RecordingTransport a = new RecordingTransport();
        RecordingTransport b = new RecordingTransport();
        EventChannel ca = a.openOn(hub);
        b.openOn(hub);

        assertThat(hub.send(ca.id(), SseEvent.data("just you"))).isTrue();
        assertThat(hub.send(12345, SseEvent.data("nobody"))).isFalse();

        assertThat(a.data()).containsExactly("just you");
        assertThat(b.data()).isEmpty();
        RecordingTransport late = new RecordingTransport();
        late.openOn(hub, ChannelOptions.builder().lastEventId("0").build());
        assertThat(late.data()).isEmpty();
    }

    @Test
    void stalledClientIsDisconnectedWithoutDelayingOthers() {
        hub.close();
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).maxQueuedFrames(10).build();
        List<CloseReason> reasons = new CopyOnWriteArrayList<>();
        hub.addListener(new HubListener() {
            @Override
            public void onClose(EventChannel channel, CloseReason reason) {
                reasons.add(reason);
            }
        });
        RecordingTransport stalled = RecordingTransport.stalled();
        EventChannel stalledChannel = stalled.openOn(hub);
        RecordingTransport healthy = new RecordingTransport();
        EventChannel healthyChannel = healthy.openOn(hub);

        for (int i = 0; i < 100; i++) {
            hub.broadcast(SseEvent.data("e" + i));
        }
        wokenThenServiced(hub);

        assertThat(healthyChannel.isOpen()).as("healthy open, reasons " + reasons).isTrue();
        assertThat(healthy.data()).hasSize(100);
        assertThat(stalledChannel.isOpen()).isFalse();
        assertThat(stalledChannel.queuedFrames()).isZero();
        assertThat(stalled.closeCalls()).isEqualTo(1);
        assertThat(reasons).containsExactly(CloseReason.SLOW_CLIENT);
        assertThat(hub.channelCount()).isEqualTo(1);
        assertThat(hub.stats().closed(CloseReason.SLOW_CLIENT)).isEqualTo(1);
    }

    @Test
    void queueIsBoundedByBytesToo() {
        hub.close();
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).maxQueuedBytes(1000).build();
        RecordingTransport stalled = RecordingTransport.stalled();
        EventChannel ch = stalled.openOn(hub);

        String big = "x".repeat(300);
        hub.broadcast(SseEvent.data(big));
        hub.broadcast(SseEvent.data(big));
        hub.broadcast(SseEvent.data(big));
        wokenThenServiced(hub);
        assertThat(ch.isOpen()).isTrue();
        hub.broadcast(SseEvent.data(big));
        wokenThenServiced(hub);

        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void oneFrameLargerThanTheByteLimitIsStillDeliveredToAnIdleClient() {
        hub.close();
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).maxQueuedBytes(100).build();
        RecordingTransport t = new RecordingTransport();
        t.openOn(hub);

        hub.broadcast(SseEvent.data("y".repeat(500)));

        assertThat(t.data()).containsExactly("y".repeat(500));
    }

    @Test
    void dropOldestKeepsTheNewestFramesAndCountsTheDrops() {
        hub.close();
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).maxQueuedFrames(3)
                .slowClientPolicy(SlowClientPolicy.dropOldest()).build();
        RecordingTransport slow = RecordingTransport.stalled();
        EventChannel ch = slow.openOn(hub);

        for (int i = 1; i <= 10; i++) {
            hub.broadcast(SseEvent.data("e" + i));
        }
        wokenThenServiced(hub);

        assertThat(ch.isOpen()).isTrue();
        assertThat(ch.droppedFrames()).isEqualTo(7);
        assertThat(hub.stats().dropped()).isEqualTo(7);
        List<String> left = new ArrayList<>();
        SseFrame f;
        while ((f = ch.poll()) != null) {
            left.add(f.event().data());
        }
        assertThat(left).containsExactly("e8", "e9", "e10");
    }

    @Test
    void coalesceGivesASlowDashboardOnlyTheNewestValuePerKey() {
        hub.close();
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).maxQueuedFrames(3)
                .slowClientPolicy(SlowClientPolicy.coalesce(SseEvent::event)).build();
        RecordingTransport slow = RecordingTransport.stalled();
        EventChannel ch = slow.openOn(hub);

        hub.broadcast(SseEvent.of("cpu", "10"));
        hub.broadcast(SseEvent.of("mem", "1G"));
        hub.broadcast(SseEvent.of("cpu", "20"));
        hub.broadcast(SseEvent.of("cpu", "30"));
        hub.broadcast(SseEvent.of("mem", "2G"));
        hub.broadcast(SseEvent.of("disk", "5%"));
        wokenThenServiced(hub);

        List<String> left = new ArrayList<>();
        SseFrame f;
        while ((f = ch.poll()) != null) {
            left.add(f.event().event() + "=" + f.event().data());
        }
        assertThat(ch.isOpen()).isTrue();
        assertThat(left).containsExactly("cpu=30", "mem=2G", "disk=5%");
        assertThat(ch.droppedFrames()).isEqualTo(3);
    }

    @Test
    void resumeReplaysWhatWasMissedThenGoesLive() {
        RecordingTransport first = new RecordingTransport();
        first.openOn(hub);
        hub.broadcast(SseEvent.data("a"));
        hub.broadcast(SseEvent.data("b"));
        hub.broadcast(SseEvent.data("c"));

        RecordingTransport resumed = new RecordingTransport();
        EventChannel ch = resumed.openOn(hub, ChannelOptions.builder().lastEventId("1")
                .initialEvent(SseEvent.builder().retry(Duration.ofSeconds(3)).build()).build());
        hub.broadcast(SseEvent.data("d"));

        assertThat(resumed.wire()).startsWith("retry: 3000\n\n");
        assertThat(resumed.ids()).containsExactly("2", "3", "4");
        assertThat(ch.resumeGap()).isFalse();
    }

    @Test
    void resumeFromTheNewestIdReplaysNothingAndReportsNoGap() {
        hub.broadcast(SseEvent.data("a"));
        RecordingTransport t = new RecordingTransport();
        EventChannel ch = t.openOn(hub, ChannelOptions.builder().lastEventId("1").build());

        assertThat(t.frames()).isEmpty();
        assertThat(ch.resumeGap()).isFalse();
    }

    @Test
    void resumeOnlyReplaysTheChannelsTopics() {
        hub.broadcast("news", SseEvent.data("n1"));
        hub.broadcast("sport", SseEvent.data("s1"));
        hub.broadcast(SseEvent.data("all"));

        RecordingTransport t = new RecordingTransport();
        t.openOn(hub, ChannelOptions.builder().lastEventId("0").topics(Set.of("news")).build());

        assertThat(t.data()).containsExactly("n1", "all");
    }

    @Test
    void resumeFromAnEvictedIdReplaysWhatIsLeftAndReportsTheGap() {
        hub.close();
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).history(TestClocks.history(2, Duration.ofMinutes(1)))
                .gapEvent(SseEvent.of("gap", "")).build();
        List<EventChannel> gaps = new CopyOnWriteArrayList<>();
        hub.addListener(new HubListener() {
            @Override
            public void onResumeGap(EventChannel channel) {
                gaps.add(channel);
            }
        });
        for (String d : List.of("a", "b", "c", "d")) {
            hub.broadcast(SseEvent.data(d));
        }

        RecordingTransport t = new RecordingTransport();
        EventChannel ch = t.openOn(hub, ChannelOptions.builder().lastEventId("1").build());

        assertThat(ch.resumeGap()).isTrue();
        assertThat(gaps).containsExactly(ch);
        assertThat(t.wire()).startsWith("event: gap\ndata:\n\n");
        assertThat(t.ids()).containsExactly("3", "4");
    }

    @Test
    void resumeFromAnIdNewerThanAnythingBroadcastReportsTheGapAndReplaysWhatIsHeld() {
        hub.broadcast(SseEvent.data("a"));
        RecordingTransport t = new RecordingTransport();
        EventChannel ch = t.openOn(hub, ChannelOptions.builder().lastEventId("500").build());

        assertThat(t.ids()).containsExactly("1");
        assertThat(ch.resumeGap()).isTrue();
    }

    @Test
    void idsOfAHubSayWhichIncarnationIssuedThemAndKeepIncreasingAcrossARestart() {
        Hub before = Hub.builder().keepAlive(Duration.ZERO)
                .clock(java.time.Clock.fixed(java.time.Instant.parse("2026-12-04T10:00:00Z"), java.time.ZoneOffset.UTC))
                .build();
        String first = before.broadcast(SseEvent.data("a"));
        String second = before.broadcast(SseEvent.data("b"));
        before.close();
        Hub after = Hub.builder().keepAlive(Duration.ZERO)
                .clock(java.time.Clock.fixed(java.time.Instant.parse("2026-12-04T10:00:05Z"), java.time.ZoneOffset.UTC))
                .history(InMemoryHistory.builder().clock(java.time.Clock.fixed(
                        java.time.Instant.parse("2026-12-04T10:00:05Z"), java.time.ZoneOffset.UTC)).build())
                .gapEvent(SseEvent.of("gap", "")).build();
        try {
            assertThat(first).isEqualTo("1796378400000001");
            assertThat(second).isEqualTo("1796378400000002");
            List<String> fresh = List.of(after.broadcast(SseEvent.data("1")), after.broadcast(SseEvent.data("2")),
                    after.broadcast(SseEvent.data("3")));
            assertThat(Long.parseLong(fresh.get(0))).isGreaterThan(Long.parseLong(second));

            // A client of the old process resumes with the id it had: told of the gap, given all that is held.
            RecordingTransport t = new RecordingTransport();
            EventChannel ch = t.openOn(after, ChannelOptions.builder().lastEventId(second).build());
            assertThat(ch.resumeGap()).isTrue();
            assertThat(t.wire()).startsWith("event: gap\ndata:\n\n");
            assertThat(t.ids()).containsExactlyElementsOf(fresh);
        } finally {
            after.close();
        }
    }

    @Test
    void openAndCloseAreEachToldExactlyOnce() {
        List<String> seen = new CopyOnWriteArrayList<>();
        hub.addListener(new HubListener() {
            @Override
            public void onOpen(EventChannel channel) {
                seen.add("open " + channel.id());
            }

            @Override
            public void onClose(EventChannel channel, CloseReason reason) {
                seen.add("close " + channel.id() + " " + reason);
            }
        });
        RecordingTransport t = new RecordingTransport();
        EventChannel ch = t.openOn(hub);

        ch.close(CloseReason.CLIENT_GONE);
        ch.close(CloseReason.CLIENT_GONE);
        ch.close();

        assertThat(seen).containsExactly("open " + ch.id(), "close " + ch.id() + " CLIENT_GONE");
        assertThat(t.closeCalls()).isEqualTo(1);
        assertThat(hub.channelCount()).isZero();
        assertThat(ch.send(SseEvent.data("late"))).isFalse();
    }

    @Test
    void disconnectedClientIsRemovedFromHubAndTopics() {
        RecordingTransport t = new RecordingTransport();
        EventChannel ch = t.openOn(hub, ChannelOptions.builder().topics(Set.of("a", "b")).build());
        assertThat(hub.subscriberCount("a")).isEqualTo(1);

        ch.close(CloseReason.CLIENT_GONE);

        assertThat(hub.channelCount()).isZero();
        assertThat(hub.subscriberCount("a")).isZero();
        assertThat(hub.subscriberCount("b")).isZero();
        assertThat(hub.stats().closed(CloseReason.CLIENT_GONE)).isEqualTo(1);
    }

    @Test
    void keepAliveGoesOnlyToIdleChannels() {
        RecordingTransport busy = new RecordingTransport();
        RecordingTransport idle = new RecordingTransport();
        EventChannel busyChannel = busy.openOn(hub);
        idle.openOn(hub);
        hub.sendKeepAlives();

        hub.send(busyChannel.id(), SseEvent.data("activity"));
        hub.sendKeepAlives();

        assertThat(idle.wire()).isEqualTo(":\n\n:\n\n");
        assertThat(busy.wire()).isEqualTo(":\n\ndata: activity\n\n");
    }

    @Test
    void keepAliveRunsOnTheSchedulerAtTheConfiguredInterval() throws Exception {
        hub.close();
        hub = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ofMillis(40)).build();
        RecordingTransport t = new RecordingTransport();
        t.openOn(hub);

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (t.frames().size() < 2 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }

        assertThat(t.frames()).hasSizeGreaterThanOrEqualTo(2).allMatch(f -> f == SseFrame.KEEP_ALIVE);
    }

    @Test
    void closedHubClosesChannelsAndRefusesNewWork() {
        RecordingTransport t = new RecordingTransport();
        EventChannel ch = t.openOn(hub);

        hub.close();

        assertThat(ch.isOpen()).isFalse();
        assertThat(hub.stats().closed(CloseReason.HUB_CLOSED)).isEqualTo(1);
        assertThatThrownBy(() -> hub.broadcast(SseEvent.data("x"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> hub.open(new RecordingTransport())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shutdownSendsTheFarewellThenClosesWithinTheDrainWindow() throws Exception {
        List<RecordingTransport> ts = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            RecordingTransport t = new RecordingTransport();
            t.openOn(hub);
            ts.add(t);
        }

        hub.shutdown(Duration.ofMillis(200), SseEvent.of("bye", "server restarting")).get(5, TimeUnit.SECONDS);

        for (RecordingTransport t : ts) {
            assertThat(t.wire()).isEqualTo("event: bye\ndata: server restarting\n\n");
            assertThat(t.closeCalls()).isEqualTo(1);
        }
        assertThat(hub.channelCount()).isZero();
    }

    @Test
    void shutdownClosesStalledClientsWhenTheWindowEnds() throws Exception {
        RecordingTransport stalled = RecordingTransport.stalled();
        EventChannel ch = stalled.openOn(hub);
        hub.broadcast(SseEvent.data("unread"));

        hub.shutdown(Duration.ofMillis(50), null).get(5, TimeUnit.SECONDS);

        assertThat(ch.isOpen()).isFalse();
        assertThat(stalled.closeCalls()).isEqualTo(1);
    }

    /**
     * What the hub's scheduler does after broadcasts, here on the test's thread: a first walk wakes every waiting
     * writer; a writer that then still has not read up to its limits is slow, which the next walk finds.
     */
    static void wokenThenServiced(Hub hub) {
        hub.walk();
        hub.walk();
    }
}
