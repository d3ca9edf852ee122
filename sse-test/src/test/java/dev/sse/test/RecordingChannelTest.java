package dev.sse.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.core.ChannelOptions;
import dev.sse.core.CloseReason;
import dev.sse.core.Hub;
import dev.sse.core.HubClosedException;
import dev.sse.core.InMemoryHistory;
import dev.sse.core.SlowClientPolicy;
import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import dev.sse.core.SseStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RecordingChannelTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private Hub hub = Hub.builder().keepAlive(Duration.ZERO).build();
    private final ExecutorService producers = Executors.newCachedThreadPool();

    @AfterEach
    void tearDown() {
        producers.shutdownNow();
        hub.close();
    }

    @Test
    void aBroadcastIsRecordedBeforeBroadcastReturns() {
        RecordingChannel client = RecordingChannel.open(hub);

        String id = hub.broadcast(SseEvent.of("update", "1"));

        assertThat(client.events()).containsExactly(SseEvent.of("update", "1").withId(id));
        assertThat(client.ids()).containsExactly(id);
        assertThat(client.data()).containsExactly("1");
    }

    @Test
    void wireIsTheExactBytesInOrderKeepAlivesIncluded() {
        hub.close();
        hub = Hub.builder().keepAlive(Duration.ofMillis(30)).build();
        RecordingChannel client = RecordingChannel.open(hub);
        String id = hub.broadcast(SseEvent.builder().event("update").data("a\nb").build());

        assertThat(client.awaitKeepAlives(1, WAIT)).isPositive();
        assertThat(client.wire()).startsWith("id: " + id + "\nevent: update\ndata: a\ndata: b\n\n")
                .endsWith(SseFrame.KEEP_ALIVE.toString());
        assertThat(client.events()).as("keep-alives are not events").hasSize(1);
    }

    @Test
    void aResumeIsReplayedBeforeOpenReturns() {
        hub.close();
        hub = Hub.builder().keepAlive(Duration.ZERO).history(InMemoryHistory.create(10, Duration.ofMinutes(1)))
                .build();
        String first = hub.broadcast(SseEvent.data("a"));
        hub.broadcast(SseEvent.data("b"));
        hub.broadcast(SseEvent.data("c"));

        RecordingChannel resumed = RecordingChannel.open(hub, ChannelOptions.builder().lastEventId(first).build());

        assertThat(resumed.data()).containsExactly("b", "c");
        assertThat(resumed.channel().resumedFrom()).isEqualTo(first);
    }

    @Test
    void topicsComeFromTheOptions() {
        RecordingChannel prices = RecordingChannel.open(hub, ChannelOptions.builder().topics(Set.of("eur")).build());
        RecordingChannel others = RecordingChannel.open(hub);

        hub.broadcast("eur", SseEvent.data("1.08"));

        assertThat(prices.data()).containsExactly("1.08");
        assertThat(others.events()).isEmpty();
    }

    @Test
    void awaitEventsWaitsForWhatAnotherThreadSends() {
        RecordingChannel client = RecordingChannel.open(hub);

        producers.submit(() -> {
            for (int i = 0; i < 100; i++) {
                hub.broadcast(SseEvent.data("" + i));
            }
        });

        assertThat(client.awaitEvents(100, WAIT)).extracting(SseEvent::data).startsWith("0", "1").endsWith("99");
    }

    @Test
    void awaitEventReturnsTheFirstMatch() {
        RecordingChannel client = RecordingChannel.open(hub);
        producers.submit(() -> {
            hub.broadcast(SseEvent.of("token", "a"));
            hub.broadcast(SseEvent.of("done", "x"));
            hub.broadcast(SseEvent.of("done", "y"));
        });

        assertThat(client.awaitEvent(e -> "done".equals(e.event()), WAIT).data()).isEqualTo("x");
    }

    @Test
    void aTimeoutFailsNamingWhatItWaitedForAndWhatArrived() {
        RecordingChannel client = RecordingChannel.open(hub);
        hub.broadcast(SseEvent.data("only one"));

        assertThatThrownBy(() -> client.awaitEvents(3, Duration.ofMillis(100)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("waited 100 ms for 3 events")
                .hasMessageContaining("1 event arrived")
                .hasMessageContaining("only one")
                .hasMessageContaining("still open");
        assertThatThrownBy(() -> client.awaitEvent("the [DONE] event", e -> "[DONE]".equals(e.data()),
                Duration.ofMillis(50)))
                .hasMessageContaining("for the [DONE] event");
    }

    @Test
    void anAwaitFailsAtOnceWhenTheChannelCloses() {
        RecordingChannel client = RecordingChannel.open(hub);
        hub.broadcast(SseEvent.data("a"));
        producers.submit(() -> client.channel().close());
        long start = System.nanoTime();

        assertThatThrownBy(() -> client.awaitEvents(2, Duration.ofSeconds(30)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("closed (CLOSED_BY_APP)");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not the whole timeout").isLessThan(WAIT);
    }

    @Test
    void closeIsTheClientGoingAway() {
        RecordingChannel client = RecordingChannel.open(hub);

        client.close();

        assertThat(client.closed()).isTrue();
        assertThat(client.closeReason()).isEqualTo(CloseReason.CLIENT_GONE);
        assertThat(hub.channelCount()).isZero();
    }

    @Test
    void everyRecordingOfAHubLearnsWhyItClosed() {
        List<RecordingChannel> clients = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            clients.add(RecordingChannel.open(hub));
        }

        hub.close();

        assertThat(clients).allSatisfy(c -> assertThat(c.awaitClosed(WAIT)).isEqualTo(CloseReason.HUB_CLOSED));
    }

    @Test
    void aStalledClientMeetsTheSlowClientPolicy() {
        hub.close();
        hub = Hub.builder().keepAlive(Duration.ZERO).maxQueuedFrames(2).build();
        RecordingChannel stalled = RecordingChannel.openStalled(hub, ChannelOptions.defaults());
        RecordingChannel healthy = RecordingChannel.open(hub);

        for (int i = 0; i < 3; i++) {
            hub.broadcast(SseEvent.data("" + i));
        }

        assertThat(stalled.awaitClosed(WAIT)).isEqualTo(CloseReason.SLOW_CLIENT);
        assertThat(stalled.events()).isEmpty();
        assertThat(healthy.data()).containsExactly("0", "1", "2");
    }

    @Test
    void resumeTakesWhatQueuedWhileStalled() {
        hub.close();
        hub = Hub.builder().keepAlive(Duration.ZERO).slowClientPolicy(SlowClientPolicy.dropOldest())
                .maxQueuedFrames(2).build();
        RecordingChannel client = RecordingChannel.open(hub);
        hub.broadcast(SseEvent.data("before"));
        client.stall();
        for (int i = 0; i < 3; i++) {
            hub.broadcast(SseEvent.data("" + i));
        }
        assertThat(client.data()).containsExactly("before");

        client.resume();

        assertThat(client.data()).containsExactly("before", "1", "2");
        assertThat(client.channel().droppedFrames()).isEqualTo(1);
        hub.broadcast(SseEvent.data("after"));
        assertThat(client.data()).endsWith("after");
    }

    @Test
    void recordsAPerRequestStreamToItsTerminalEvent() {
        RecordingChannel response = RecordingChannel.openStream(hub);
        SseStream stream = response.stream();
        producers.submit(() -> {
            for (String token : List.of("Hel", "lo")) {
                stream.send(SseEvent.of("token", token), WAIT);
            }
            stream.complete(SseEvent.data("[DONE]"));
            return null;
        });

        assertThat(response.awaitClosed(WAIT)).isEqualTo(CloseReason.COMPLETED);
        assertThat(response.data()).containsExactly("Hel", "lo", "[DONE]");
        assertThat(response.wire()).isEqualTo("event: token\ndata: Hel\n\nevent: token\ndata: lo\n\ndata: [DONE]\n\n");
    }

    @Test
    void aStalledStreamHoldsBackAProducerUntilResumed() throws Exception {
        Hub host = Hub.builder().keepAlive(Duration.ZERO).maxQueuedFrames(1).build();
        try {
            RecordingChannel response = RecordingChannel.openStream(host);
            response.stall();
            SseStream stream = response.stream();
            assertThat(stream.trySend(SseEvent.data("1"))).isTrue();
            assertThat(stream.trySend(SseEvent.data("2"))).as("the queue holds one frame").isFalse();
            CompletionStage<Void> room = stream.whenRoom();

            response.resume();

            room.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(response.data()).containsExactly("1");
            assertThat(stream.isOpen()).isTrue();
        } finally {
            host.close();
        }
    }

    @Test
    void theProducerHearsOfAClientThatLeft() throws Exception {
        RecordingChannel response = RecordingChannel.openStream(hub);
        CompletableFuture<CloseReason> told = new CompletableFuture<>();
        response.stream().onClose(told::complete);

        response.close();

        assertThat(told.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(CloseReason.CLIENT_GONE);
        assertThat(response.closeReason()).isEqualTo(CloseReason.CLIENT_GONE);
    }

    @Test
    void aHubChannelHasNoStream() {
        RecordingChannel client = RecordingChannel.open(hub);

        assertThatThrownBy(client::stream).isInstanceOf(IllegalStateException.class).hasMessageContaining("openStream");
    }

    @Test
    void aStreamRecordingHasNoHubChannelAndSaysWhereItsSideIs() {
        RecordingChannel response = RecordingChannel.openStream(hub);

        assertThatThrownBy(response::channel).isInstanceOf(IllegalStateException.class).hasMessageContaining("stream()");
        assertThat(response.toString()).isEqualTo("stream " + response.stream().id());
    }

    @Test
    void aClosedHubRefusesARecording() {
        hub.close();

        assertThatThrownBy(() -> RecordingChannel.open(hub)).isInstanceOf(HubClosedException.class);
    }

    @Test
    void awaitingKeepAlivesOnAHubWithoutThemFailsNamingTheCount() {
        RecordingChannel client = RecordingChannel.open(hub);

        assertThatThrownBy(() -> client.awaitKeepAlives(2, Duration.ofMillis(50)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("waited 50 ms for 2 keep-alives (0 before)");
    }

    @Test
    void aTimeoutMustBePositive() {
        RecordingChannel client = RecordingChannel.open(hub);

        assertThatThrownBy(() -> client.awaitEvents(1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout must be positive");
        assertThatThrownBy(() -> client.awaitEvents(0, WAIT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("count must be at least 1");
    }
}
