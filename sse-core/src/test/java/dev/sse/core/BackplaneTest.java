package dev.sse.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.core.spi.Backplane;
import dev.sse.core.spi.EventHistory;
import dev.sse.core.spi.RecordedEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hubs on one shared log act as one: a fake in-memory log stands for Redis, delivering synchronously, in log order,
 * to every node that started on it.
 */
class BackplaneTest {

    /** The log's order of its ids; an id it cannot place sorts past every other, as the SPI asks. */
    static final Comparator<String> LOG_ORDER = Comparator.comparingLong(BackplaneTest::logPosition);

    static long logPosition(String id) {
        try {
            return id.startsWith("L") ? Long.parseLong(id.substring(1)) : Long.MAX_VALUE;
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    /** The shared log: ids are its own ("L1", "L2", ...), as a Redis stream's entry ids are. */
    static final class SharedLog {
        final List<Backplane.Inbound> nodes = new CopyOnWriteArrayList<>();
        final List<String[]> entries = new ArrayList<>();
        final AtomicBoolean down = new AtomicBoolean();

        synchronized String append(String topic, SseEvent event) {
            if (down.get()) {
                throw new IllegalStateException("log unreachable");
            }
            String id = event.id() != null ? event.id() : event.data() == null ? null : "L" + (entries.size() + 1);
            SseEvent withId = id == null ? event : event.withId(id);
            entries.add(new String[] {topic, id});
            for (Backplane.Inbound node : nodes) {
                node.deliver(topic, withId);
            }
            return id;
        }

        Backplane node() {
            SharedLog log = this;
            InMemoryHistory mirror = InMemoryHistory.create(1000, Duration.ofMinutes(5));
            return new Backplane() {
                @Override
                public void start(Inbound inbound) {
                    log.nodes.add(inbound);
                }

                @Override
                public String publish(String topic, SseEvent event) {
                    return log.append(topic, event);
                }

                @Override
                public EventHistory history() {
                    return mirror;
                }


                @Override
                public void close() {
                    // Nothing to free: the log outlives its nodes.
                }
            };
        }
    }

    /**
     * A node that holds back what the log delivers until {@link #catchUp()}, as a node whose connection to the log was
     * down; its history knows which ids the shared log holds, as Redis's does.
     */
    final class LaggingNode implements Backplane {
        private final InMemoryHistory mirror = InMemoryHistory.create(1000, Duration.ofMinutes(5));
        private final List<Object[]> held = new ArrayList<>();
        private Inbound hub;
        private boolean lagging = true;
        boolean catchUpDuringReplay;

        @Override
        public void start(Inbound inbound) {
            hub = inbound;
            log.nodes.add(new Inbound() {
                @Override
                public void deliver(String topic, SseEvent event) {
                    if (lagging) {
                        held.add(new Object[] {topic, event});
                    } else {
                        hub.deliver(topic, event);
                    }
                }

                @Override
                public void gap() {
                    hub.gap();
                }
            });
        }

        /** Loses what it holds back, as a node whose connection dropped past the log's trimming. */
        void loseHeld() {
            held.clear();
            lagging = false;
        }

        void catchUp() {
            lagging = false;
            for (Object[] e : held) {
                hub.deliver((String) e[0], (SseEvent) e[1]);
            }
            held.clear();
        }

        @Override
        public String publish(String topic, SseEvent event) {
            return log.append(topic, event);
        }

        @Override
        public EventHistory history() {
            return new EventHistory() {
                @Override
                public void append(RecordedEvent event) {
                    mirror.append(event);
                }

                @Override
                public Replay replay(String lastEventId, long upToSequence) {
                    Replay local = mirror.replay(lastEventId, upToSequence);
                    boolean inLog = log.entries.stream().anyMatch(e -> lastEventId.equals(e[1]));
                    Replay answer = local.gap() && inLog ? Replay.ahead(lastEventId, LOG_ORDER) : local;
                    if (catchUpDuringReplay) {
                        catchUp();
                    }
                    return answer;
                }
            };
        }

        @Override
        public void close() {
            // Nothing to free.
        }
    }

    private final SharedLog log = new SharedLog();
    private final List<Hub> hubs = new ArrayList<>();

    @Test
    void clientResumingOnALaggingNodeGetsNothingTwice() {
        Hub a = node();
        LaggingNode slowPlane = new LaggingNode();
        Hub b = Hub.builder().keepAlive(Duration.ZERO).backplane(slowPlane).build();
        hubs.add(b);
        RecordingTransport first = new RecordingTransport();
        EventChannel onA = first.openOn(a);
        a.broadcast(SseEvent.data("1"));
        a.broadcast(SseEvent.data("2"));
        onA.close(CloseReason.CLIENT_GONE);
        a.broadcast(SseEvent.data("3"));

        // The client saw L1 and L2 on A; B has delivered nothing yet when the client resumes there.
        RecordingTransport resumed = new RecordingTransport();
        EventChannel onB = resumed.openOn(b, ChannelOptions.builder().lastEventId("L2").build());
        slowPlane.catchUp();
        a.broadcast(SseEvent.data("4"));

        assertThat(onB.resumeGap()).isFalse();
        assertThat(resumed.ids()).containsExactly("L3", "L4");
    }

    @Test
    void skipEndsEvenWhenTheIdTheClientHasIsOfATopicItNoLongerFollows() {
        Hub a = node();
        LaggingNode slowPlane = new LaggingNode();
        Hub b = Hub.builder().keepAlive(Duration.ZERO).backplane(slowPlane).build();
        hubs.add(b);
        a.broadcast("news", SseEvent.data("n1"));
        a.broadcast("sport", SseEvent.data("s1"));

        // The client last saw L2 (sport) on A, and comes back to B following news only.
        RecordingTransport resumed = new RecordingTransport();
        resumed.openOn(b, ChannelOptions.builder().lastEventId("L2").topics(java.util.Set.of("news")).build());
        slowPlane.catchUp();
        a.broadcast("news", SseEvent.data("n2"));

        assertThat(resumed.data()).containsExactly("n2");
    }

    @Test
    void clientAheadOfANodeThatQueuedLiveEventsDuringTheResumeGetsNothingTwice() {
        Hub a = node();
        LaggingNode slowPlane = new LaggingNode();
        slowPlane.catchUpDuringReplay = true;
        Hub b = Hub.builder().keepAlive(Duration.ZERO).backplane(slowPlane).build();
        hubs.add(b);
        a.broadcast(SseEvent.data("1"));
        a.broadcast(SseEvent.data("2"));
        a.broadcast(SseEvent.data("3"));

        // B catches up while the channel is registered but its replay not finished: L1..L3 wait in its queue.
        RecordingTransport resumed = new RecordingTransport();
        EventChannel onB = resumed.openOn(b, ChannelOptions.builder().lastEventId("L2").build());
        a.broadcast(SseEvent.data("4"));

        assertThat(onB.resumeGap()).isFalse();
        assertThat(resumed.ids()).containsExactly("L3", "L4");
    }

    @Test
    void skipEndsAtTheFirstIdPastTheOneTheClientHasWhenThatIdNeverArrivesHere() {
        Hub a = node();
        LaggingNode slowPlane = new LaggingNode();
        Hub b = Hub.builder().keepAlive(Duration.ZERO).backplane(slowPlane).build();
        hubs.add(b);
        a.broadcast(SseEvent.data("1"));
        a.broadcast(SseEvent.data("2"));

        // The client saw L2 on A; B never delivers L1 or L2 (lost while it lagged), then the log goes on.
        RecordingTransport resumed = new RecordingTransport();
        resumed.openOn(b, ChannelOptions.builder().lastEventId("L2").build());
        slowPlane.loseHeld();
        a.broadcast(SseEvent.data("3"));
        a.broadcast(SseEvent.data("4"));

        assertThat(resumed.ids()).containsExactly("L3", "L4");
    }

    @Test
    void skipEndsAtAnIdPastTheOneTheClientHasOnATopicItDoesNotFollow() {
        Hub a = node();
        LaggingNode slowPlane = new LaggingNode();
        Hub b = Hub.builder().keepAlive(Duration.ZERO).backplane(slowPlane).build();
        hubs.add(b);
        a.broadcast("news", SseEvent.data("n1"));

        RecordingTransport resumed = new RecordingTransport();
        resumed.openOn(b, ChannelOptions.builder().lastEventId("L1").topics(java.util.Set.of("news")).build());
        slowPlane.loseHeld();
        a.broadcast("sport", SseEvent.data("s1"));
        a.broadcast("news", SseEvent.data("n2"));

        assertThat(resumed.data()).containsExactly("n2");
    }

    private Hub node() {
        Hub h = Hub.builder().keepAlive(Duration.ZERO).backplane(log.node()).build();
        hubs.add(h);
        return h;
    }

    @AfterEach
    void close() {
        hubs.forEach(Hub::close);
    }

    @Test
    void broadcastOnOneNodeReachesChannelsOnEveryNodeWithTheSameIds() {
        Hub a = node();
        Hub b = node();
        RecordingTransport onA = new RecordingTransport();
        RecordingTransport onB = new RecordingTransport();
        onA.openOn(a);
        onB.openOn(b);

        assertThat(a.broadcast(SseEvent.data("x"))).isEqualTo("L1");
        assertThat(b.broadcast(SseEvent.data("y"))).isEqualTo("L2");

        assertThat(onA.ids()).containsExactly("L1", "L2");
        assertThat(onB.ids()).containsExactly("L1", "L2");
        assertThat(onA.frames().get(0).toByteArray()).isEqualTo(onB.frames().get(0).toByteArray());
    }

    @Test
    void clientResumesOnAnotherNodeFromAnIdItGotElsewhere() {
        Hub a = node();
        Hub b = node();
        RecordingTransport first = new RecordingTransport();
        EventChannel onA = first.openOn(a);
        a.broadcast(SseEvent.data("1"));
        onA.close(CloseReason.CLIENT_GONE);
        b.broadcast(SseEvent.data("2"));
        a.broadcast(SseEvent.data("3"));

        RecordingTransport resumed = new RecordingTransport();
        EventChannel onB = resumed.openOn(b, ChannelOptions.builder().lastEventId("L1").build());

        assertThat(onB.resumeGap()).isFalse();
        assertThat(resumed.ids()).containsExactly("L2", "L3");
    }

    @Test
    void topicsAreHonouredAcrossNodes() {
        Hub a = node();
        Hub b = node();
        RecordingTransport news = new RecordingTransport();
        RecordingTransport all = new RecordingTransport();
        news.openOn(b, ChannelOptions.builder().topics(java.util.Set.of("news")).build());
        all.openOn(b);

        a.broadcast("news", SseEvent.data("n"));
        a.broadcast("sport", SseEvent.data("s"));

        assertThat(news.data()).containsExactly("n");
        assertThat(all.data()).isEmpty();
    }

    @Test
    void unreachableLogFailsTheBroadcastAndDeliversNothing() {
        Hub a = node();
        RecordingTransport t = new RecordingTransport();
        t.openOn(a);
        log.down.set(true);
        assertThatThrownBy(() -> a.broadcast(SseEvent.data("x"))).hasMessageContaining("unreachable");
        assertThat(t.frames()).isEmpty();
        assertThat(a.channelCount()).isEqualTo(1);
    }

    @Test
    void hubWithoutBackplaneIsUnchanged() {
        Hub local = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).build();
        hubs.add(local);
        RecordingTransport t = new RecordingTransport();
        t.openOn(local);
        assertThat(local.broadcast(SseEvent.data("x"))).isEqualTo("1");
        assertThat(log.entries).isEmpty();
        assertThat(t.ids()).containsExactly("1");
    }

    @Test
    void asyncBroadcastTellsEachCallerItsIdOnAHubOfItsOwnAndOnABackplane() throws Exception {
        Hub local = Hub.builder().clock(TestClocks.NUMBERED_FROM_ONE).keepAlive(Duration.ZERO).build();
        hubs.add(local);
        Hub a = node();
        RecordingTransport onA = new RecordingTransport();
        onA.openOn(a);

        assertThat(local.broadcastAsync(SseEvent.data("x")).toCompletableFuture().get()).isEqualTo("1");
        assertThat(a.broadcastAsync(SseEvent.data("y")).toCompletableFuture().get()).isEqualTo("L1");
        assertThat(a.broadcastAsync("news", SseEvent.data("z")).toCompletableFuture().get()).isEqualTo("L2");
        assertThat(onA.ids()).containsExactly("L1");
    }

    @Test
    void asyncBroadcastFailsTheStageNotTheCallerWhenTheLogOrTheHubCannotTakeIt() {
        Hub a = node();
        log.down.set(true);
        assertThat(a.broadcastAsync(SseEvent.data("x")).toCompletableFuture())
                .failsWithin(Duration.ofSeconds(1)).withThrowableThat().withMessageContaining("unreachable");
        a.close();
        assertThat(a.broadcastAsync(SseEvent.data("x")).toCompletableFuture())
                .failsWithin(Duration.ofSeconds(1)).withThrowableThat().havingCause()
                .isInstanceOf(HubClosedException.class);
    }

    @Test
    void historyAndBackplaneTogetherAreRefused() {
        assertThatThrownBy(() -> Hub.builder().history(EventHistory.none()).backplane(log.node()).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("backplane");
    }

    @Test
    void deliveredEventsAreKeptInTheBackplanesHistory() {
        Backplane plane = log.node();
        Hub a = Hub.builder().keepAlive(Duration.ZERO).backplane(plane).build();
        hubs.add(a);
        a.broadcast(SseEvent.data("x"));
        EventHistory.Replay r = plane.history().replay("L1", Long.MAX_VALUE);
        assertThat(r.gap()).isFalse();
        assertThat(r.events()).isEmpty();
        assertThat(plane.history().replay("0", Long.MAX_VALUE).events()).extracting(RecordedEvent::id)
                .containsExactly("L1");
    }
}
