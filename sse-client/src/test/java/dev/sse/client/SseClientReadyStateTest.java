package dev.sse.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SseClient#readyState()} as each listener call sees it. Without an executor the listener runs on the reader
 * thread, so what it reads is the state the reader was in when it handed the call on: no timing involved.
 */
class SseClientReadyStateTest {

    private SseClient client;
    private ScriptedServer server;

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static RetryPolicy fast() {
        return RetryPolicy.builder().baseDelay(Duration.ofMillis(10)).minDelay(Duration.ofMillis(10)).jitter(0)
                .build();
    }

    /** Records "call:STATE" for every listener call. */
    private static final class StateRecorder implements SseListener {
        final CompletableFuture<SseClient> client = new CompletableFuture<>();
        final BlockingQueue<String> calls = new LinkedBlockingQueue<>();

        private void record(String call) {
            calls.add(call + ":" + client.join().readyState());
        }

        @Override
        public void onOpen(int status, HttpHeaders headers) {
            record("open");
        }

        @Override
        public void onEvent(MessageEvent event) {
            record("event " + event.data());
        }

        @Override
        public void onError(SseException error) {
            record(error.willRetry() ? "error, retrying" : "error, final");
        }

        @Override
        public void onStreamEnd(Duration reconnectDelay) {
            record("stream end");
        }

        @Override
        public void onClosed(int status, HttpHeaders headers) {
            record("closed " + status);
        }

        String take() throws InterruptedException {
            return Recorder.take(calls, "listener call");
        }
    }

    @Test
    void readyStateIsOpenWhileReadingAndConnectingWhileWaitingToReconnect() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: one\n\n");
        }, ex -> ex.head(503, "Content-Length: 0"), ex -> {
            ex.stream();
            ex.send("data: two\n\n");
            ex.awaitClientClose(Duration.ofSeconds(20));
        });
        StateRecorder recorder = new StateRecorder();
        client = SseClient.builder(server.uri()).retryPolicy(fast()).start(recorder);
        recorder.client.complete(client);
        assertThat(recorder.take()).isEqualTo("open:OPEN");
        assertThat(recorder.take()).isEqualTo("event one:OPEN");
        assertThat(recorder.take()).isEqualTo("stream end:CONNECTING");
        assertThat(recorder.take()).isEqualTo("error, retrying:CONNECTING");
        assertThat(recorder.take()).isEqualTo("open:OPEN");
        assertThat(recorder.take()).isEqualTo("event two:OPEN");
        client.close();
        assertThat(client.readyState()).isEqualTo(ReadyState.CLOSED);
        assertThat(recorder.take()).isEqualTo("closed 0:CLOSED");
    }

    @Test
    void readyStateIsClosedWhenAFatalErrorIsReported() throws Exception {
        server = new ScriptedServer(ex -> ex.head(404, "Content-Length: 0"));
        StateRecorder recorder = new StateRecorder();
        client = SseClient.builder(server.uri()).retryPolicy(fast()).start(recorder);
        recorder.client.complete(client);
        assertThat(recorder.take()).isEqualTo("error, final:CLOSED");
        assertThat(recorder.take()).isEqualTo("closed 404:CLOSED");
    }

    @Test
    void aClientStartsConnectingAndIsClosedOnceTheServerSaysNoContent() throws Exception {
        CompletableFuture<Void> answer = new CompletableFuture<>();
        server = new ScriptedServer(ex -> {
            answer.get();
            ex.head(204);
        });
        client = SseClient.builder(server.uri()).open();
        server.takeRequest();
        assertThat(client.readyState()).isEqualTo(ReadyState.CONNECTING);
        answer.complete(null);
        assertThat(client.next()).isNull();
        assertThat(client.readyState()).isEqualTo(ReadyState.CLOSED);
    }
}
