package dev.sse.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Many events, large events, and a consumer slower than the server. */
class SseClientVolumeTest {

    private SseClient client;
    private ScriptedServer server;
    private final ExecutorService executor = Executors.newSingleThreadExecutor();

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        executor.shutdownNow();
    }

    private static String numbered(int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            sb.append("id: ").append(i).append("\ndata: ").append(i).append("\n\n");
        }
        return sb.toString();
    }

    @Test
    void tenThousandRapidEventsArriveInOrderNoneLostThroughAListener() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send(numbered(0, 10_000));
            ex.awaitClientClose(Duration.ofSeconds(30));
        });
        Recorder recorder = new Recorder();
        client = SseClient.builder(server.uri()).executor(executor).maxInFlight(16).start(recorder);
        for (int i = 0; i < 10_000; i++) {
            assertThat(recorder.takeEvent()).isEqualTo(MessageEvent.of("message", "" + i, "" + i));
        }
        recorder.assertNoMoreEvents();
    }

    @Test
    void tenThousandRapidEventsArriveInOrderNoneLostThroughAStream() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send(numbered(0, 10_000));
        });
        client = SseClient.builder(server.uri()).retryPolicy(RetryPolicy.none()).open();
        List<String> data;
        try (Stream<MessageEvent> events = client.stream()) {
            data = events.map(MessageEvent::data).collect(Collectors.toList());
        }
        assertThat(data).hasSize(10_000);
        for (int i = 0; i < data.size(); i++) {
            assertThat(data.get(i)).isEqualTo("" + i);
        }
    }

    @Test
    void aFiveMebibyteEventArrivesIntact() throws Exception {
        String big = "0123456789abcdef".repeat(5 * 1024 * 1024 / 16);
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: " + big + "\n\n");
        });
        client = SseClient.builder(server.uri()).retryPolicy(RetryPolicy.none()).open();
        MessageEvent event = client.next();
        assertThat(event.data().length()).isEqualTo(5 * 1024 * 1024);
        assertThat(event.data()).isEqualTo(big);
        assertThat(client.next()).isNull();
    }

    @Test
    void anEventOverTheLimitIsRejected() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: small\n\n");
            for (int i = 0; i < 64; i++) {
                ex.send("data: " + "x".repeat(32 * 1024) + "\n");
            }
            ex.send("\n");
            ex.awaitClientClose(Duration.ofSeconds(20));
        });
        Recorder recorder = new Recorder();
        client = SseClient.builder(server.uri()).maxEventBytes(1024 * 1024).start(recorder);
        assertThat(recorder.takeEvent().data()).isEqualTo("small");
        SseException error = recorder.takeError();
        assertThat(error.willRetry()).isFalse();
        assertThat(error.getMessage()).contains("maxEventBytes");
        assertThat(recorder.takeClosed()).isEqualTo(200);
        recorder.assertNoMoreEvents();
        assertThat(Recorder.take(server.clientClosed, "client close")).isZero();
    }

    @Test
    void aLineOverTheLimitIsRejected() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: " + "x".repeat(2000) + "\n\n");
        });
        client = SseClient.builder(server.uri()).maxLineBytes(1000).retryPolicy(RetryPolicy.none()).open();
        org.assertj.core.api.Assertions.assertThatThrownBy(client::next)
                .isInstanceOf(SseException.class).hasMessageContaining("maxLineBytes");
    }

    @Test
    void aSlowListenerStopsTheSocketFromDrainingInsteadOfBuffering() throws Exception {
        int total = 64 * 1024;
        byte[] event = ("data: " + "x".repeat(1017) + "\n\n").getBytes(StandardCharsets.UTF_8); // 1 KiB
        server = new ScriptedServer(ex -> {
            ex.stream();
            for (int i = 0; i < total; i++) {
                ex.write(event);
            }
            ex.awaitClientClose(Duration.ofSeconds(60));
        });
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch all = new CountDownLatch(total);
        client = SseClient.builder(server.uri()).executor(executor).start(e -> {
            try {
                release.await();
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            all.countDown();
        });
        long stalledAt = awaitStall(Duration.ofSeconds(20));
        assertThat(stalledAt).as("bytes the server could write while the listener was stuck")
                .isLessThan(16L * 1024 * 1024);
        release.countDown();
        assertThat(all.await(30, TimeUnit.SECONDS)).as("every event after the listener resumed").isTrue();
    }

    /** Waits until the server's byte count stops growing for 500 ms; returns it. */
    private long awaitStall(Duration deadline) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        long last = -1;
        long stableSince = System.nanoTime();
        while (System.nanoTime() < end) {
            long now = server.written.get();
            if (now != last) {
                last = now;
                stableSince = System.nanoTime();
            } else if (last > 0 && System.nanoTime() - stableSince > TimeUnit.MILLISECONDS.toNanos(500)) {
                return last;
            }
            Thread.onSpinWait();
            TimeUnit.MILLISECONDS.sleep(20); // polling interval with a deadline, not a synchronisation
        }
        throw new AssertionError("the server never stopped writing (" + last + " bytes)");
    }
}
