package dev.sse.vertx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.HubListener;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Vert.x adapter's own behaviour on a real Vert.x server and real sockets. */
class SseHandlerTest {

    private Hub hub;
    private VertxServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    private void serve(Hub h, SseHandler handler) throws Exception {
        this.hub = h;
        this.server = new VertxServer(router -> router.route("/events").handler(handler));
    }

    @Test
    void aClientThatStopsReadingIsCutByTheSlowClientPolicyNotBufferedByVertx() throws Exception {
        CompletableFuture<CloseReason> closed = new CompletableFuture<>();
        Hub h = Hub.builder().keepAlive(Duration.ofMinutes(5)).maxQueuedBytes(64 * 1024)
                .listener(new HubListener() {
                    @Override
                    public void onClose(EventChannel channel, CloseReason reason) {
                        closed.complete(reason);
                    }
                }).build();
        serve(h, SseHandler.create(h));
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", server.port));
            socket.getOutputStream().write(("GET /events HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            await(() -> h.channelCount() == 1);
            EventChannel channel = h.channels().get(0);
            String kilobyte = "x".repeat(1024);
            // Each event is given time to leave the hub's queue: a transport that wrote everything into Vert.x would
            // always empty it, and the slow-client policy would never see a full queue (bounded: 64 MiB at most).
            boolean stuck = false;
            for (int i = 0; i < 65_536 && !closed.isDone(); i++) {
                h.broadcast(SseEvent.data(kilobyte));
                if (!stuck) {
                    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
                    while (channel.queuedFrames() > 0 && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                    stuck = channel.queuedFrames() > 0;
                }
            }
            assertThat(stuck).as("the hub's queue stopped draining once the socket was full").isTrue();
            assertThat(closed.get(5, TimeUnit.SECONDS)).isEqualTo(CloseReason.SLOW_CLIENT);
            // The stalled connection is dropped, not held: the client reads what was in flight, then its end.
            assertThat(readsToTheEnd(socket)).isTrue();
        }
    }

    @Test
    void aClientThatLeavesClosesItsChannel() throws Exception {
        Hub h = Hub.builder().keepAlive(Duration.ofMinutes(5)).build();
        SseHandler handler = SseHandler.create(h);
        serve(h, handler);
        Socket socket = server.send("GET", "/events", "", null);
        VertxServer.readUntil(socket, "\r\n\r\n");
        await(() -> h.channelCount() == 1 && handler.liveStreams() == 1);
        socket.close();
        await(() -> h.channelCount() == 0 && handler.liveStreams() == 0);
    }

    @Test
    void headersAndRetryGoOutBeforeAnyEventAndEventsArriveInOrder() throws Exception {
        Hub h = Hub.builder().keepAlive(Duration.ofMinutes(5)).build();
        serve(h, SseHandler.builder(h).setting("retry", "3s").build());
        try (Socket socket = server.send("GET", "/events", "", null)) {
            String head = VertxServer.readUntil(socket, "retry: 3000\n\n");
            assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("content-type: text/event-stream")
                    .containsIgnoringCase("x-accel-buffering: no");
            await(() -> h.channelCount() == 1);
            for (int i = 0; i < 200; i++) {
                h.broadcast(SseEvent.builder().id(Integer.toString(i)).data("e" + i).build());
            }
            String body = VertxServer.readUntil(socket, "id: 199\ndata: e199\n\n");
            int last = -1;
            for (int i = 0; i < 200; i++) {
                int at = body.indexOf("id: " + i + "\ndata: e" + i + "\n\n");
                assertThat(at).isGreaterThan(last);
                last = at;
            }
        }
    }

    @Test
    void publishOpenBroadcastsThePostedBodyAndAnswers202WithTheId() throws Exception {
        Hub h = Hub.builder().keepAlive(Duration.ofMinutes(5)).build();
        serve(h, SseHandler.builder(h).setting("publish", "open").build());
        try (Socket stream = server.send("GET", "/events", "", null)) {
            VertxServer.readUntil(stream, "\r\n\r\n");
            await(() -> h.channelCount() == 1);
            try (Socket post = server.send("POST", "/events?event=chat", "Connection: close\r\n", "héllo\nworld")) {
                String answer = VertxServer.readToEnd(post);
                assertThat(answer).startsWith("HTTP/1.1 202").contains("{\"id\":\"");
            }
            assertThat(VertxServer.readUntil(stream, "data: world\n\n")).contains("event: chat\ndata: héllo\ndata: world\n\n");
        }
    }

    @Test
    void postIs405WhenPublishingIsOff() throws Exception {
        Hub h = Hub.create();
        serve(h, SseHandler.create(h));
        try (Socket post = server.send("POST", "/events", "Connection: close\r\n", "x")) {
            String answer = VertxServer.readToEnd(post);
            assertThat(answer).startsWith("HTTP/1.1 405").containsIgnoringCase("allow: GET, HEAD, OPTIONS");
            assertThat(h.stats().toString()).isNotNull();
        }
    }

    @Test
    void aCrossSitePageCannotPublish() throws Exception {
        Hub h = Hub.create();
        serve(h, SseHandler.builder(h).setting("publish", "open").build());
        try (Socket post = server.send("POST", "/events", "Origin: https://evil.example\r\nConnection: close\r\n",
                "x")) {
            String answer = VertxServer.readToEnd(post);
            assertThat(answer).startsWith("HTTP/1.1 403").contains("\"error\"");
        }
    }

    @Test
    void aBodyOverMaxBodyBytesIs413NamingTheBody() throws Exception {
        Hub h = Hub.create();
        serve(h, SseHandler.builder(h).setting("publish", "open").setting("maxBodyBytes", "10").build());
        try (Socket post = server.send("POST", "/events", "", "x".repeat(11))) {
            String answer = VertxServer.readUntil(post, "\"field\":\"body\"");
            assertThat(answer).startsWith("HTTP/1.1 413").contains("\"field\":\"body\"");
        }
    }

    @Test
    void aTricklingBodyIs408AfterTheGraceNotAHeldConnection() throws Exception {
        Hub h = Hub.create();
        serve(h, SseHandler.builder(h).setting("publish", "open").setting("bodyGrace", "200ms").build());
        try (Socket post = server.send("POST", "/events", "Content-Length: 10\r\n", null)) {
            post.getOutputStream().write('a');
            String answer = VertxServer.readUntil(post, "\"field\":\"body\"");
            assertThat(answer).startsWith("HTTP/1.1 408").contains("1024 bytes a second");
        }
    }

    @Test
    void aMalformedQueryIs400NamingTheParameter() throws Exception {
        Hub h = Hub.create();
        serve(h, SseHandler.create(h));
        try (Socket get = server.send("GET", "/events?lastEventId=%FF", "Connection: close\r\n", null)) {
            String answer = VertxServer.readToEnd(get);
            assertThat(answer).startsWith("HTTP/1.1 400").contains("\"field\":\"lastEventId\"");
        }
    }

    @Test
    void beyondMaxConnectionsAStreamIsShedWith200AndARetryHint() throws Exception {
        Hub h = Hub.builder().keepAlive(Duration.ofMinutes(5)).build();
        serve(h, SseHandler.builder(h).setting("maxConnections", "1").setting("overloadRetry", "7s").build());
        try (Socket first = server.send("GET", "/events", "", null)) {
            VertxServer.readUntil(first, "\r\n\r\n");
            await(() -> h.channelCount() == 1);
            try (Socket second = server.send("GET", "/events", "Connection: close\r\n", null)) {
                String answer = VertxServer.readToEnd(second);
                assertThat(answer).startsWith("HTTP/1.1 200").contains("retry: 7");
            }
            assertThat(h.channelCount()).isEqualTo(1);
        }
    }

    @Test
    void shutdownSendsTheFarewellEventAndEndsTheStream() throws Exception {
        Hub h = Hub.builder().keepAlive(Duration.ofMinutes(5)).build();
        SseHandler handler = SseHandler.builder(h).setting("farewellEvent", "bye").setting("drainWindow", "100ms")
                .build();
        serve(h, handler);
        try (Socket socket = server.send("GET", "/events", "", null)) {
            VertxServer.readUntil(socket, "\r\n\r\n");
            await(() -> h.channelCount() == 1);
            handler.shutdown().get(5, TimeUnit.SECONDS);
            String rest = VertxServer.readUntil(socket, "\r\n0\r\n\r\n");
            assertThat(rest).contains("event: bye\n");
            assertThat(h.channelCount()).isZero();
        }
    }

    @Test
    void h2cStreamsOverHttp2() throws Exception {
        Hub h = Hub.builder().keepAlive(Duration.ofMinutes(5)).build();
        serve(h, SseHandler.create(h));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpResponse<java.io.InputStream> response = client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port + "/events")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("text/event-stream"));
        await(() -> h.channelCount() == 1);
        h.broadcast(SseEvent.data("over h2"));
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(),
                StandardCharsets.UTF_8))) {
            String line;
            do {
                line = reader.readLine();
            } while (line != null && !line.startsWith("data:"));
            assertThat(line).isEqualTo("data: over h2");
        }
    }

    @Test
    void perRequestStreamsSendFromAnyThreadAndComplete() throws Exception {
        this.hub = Hub.create();
        this.server = new VertxServer(router -> router.get("/gen").handler(rc -> {
            SseStream stream = SseStreams.start(rc);
            new Thread(() -> {
                for (int i = 0; i < 3; i++) {
                    stream.trySend(SseEvent.of("token", "t" + i));
                }
                stream.complete(SseEvent.data("[DONE]"));
            }).start();
        }));
        try (Socket socket = server.send("GET", "/gen", "", null)) {
            String all = VertxServer.readUntil(socket, "\r\n0\r\n\r\n");
            assertThat(all).contains("event: token\ndata: t0\n\n", "event: token\ndata: t2\n\n", "data: [DONE]\n\n");
        }
    }

    @Test
    void anUnknownSettingIsRefusedNamingIt() {
        assertThatThrownBy(() -> SseHandler.builder(Hub.create()).setting("retyr", "1s"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retyr");
        assertThatThrownBy(() -> SseHandler.builder(Hub.create()).setting("retry", "soon"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retry");
    }

    /** @return whether the connection ended (EOF or reset) within 5 s of reading */
    private static boolean readsToTheEnd(Socket socket) throws Exception {
        socket.setSoTimeout(5000);
        byte[] buf = new byte[64 * 1024];
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        try {
            while (System.nanoTime() < deadline) {
                if (socket.getInputStream().read(buf) < 0) {
                    return true;
                }
            }
            return false;
        } catch (java.net.SocketException reset) {
            return true;
        } catch (java.net.SocketTimeoutException stillOpen) {
            return false;
        }
    }

    static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 5 s");
            }
            Thread.sleep(5);
        }
    }
}
