package dev.sse.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.CloseReason;
import dev.sse.core.EventChannel;
import dev.sse.core.HubListener;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The demo's HTTP contract, checked over real sockets against the server as {@code main} runs it. */
class HttpContractTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final Pattern UPDATE_JSON =
            Pattern.compile("\\{\"time\":\"\\d{2}:\\d{2}:\\d{2}\",\"message\":\"[^\"\\\\]+\"\\}");

    private static final String TOTAL = "^\\{\"connections\":(\\d+)";

    private static DemoServer demo;

    @BeforeAll
    static void startDemo() throws Exception {
        demo = DemoServer.start(0);
    }

    @AfterAll
    static void stopDemo() {
        demo.stop();
    }

    private static URI uri(String path) {
        return demo.uri().resolve(path);
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, byte[] body) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(WAIT)
                .header("Content-Type", "text/plain;charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String postedId(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        Matcher m = Pattern.compile("\\{\"id\":\"([^\"]+)\"\\}").matcher(response.body());
        assertThat(m.matches()).as(response.body()).isTrue();
        return m.group(1);
    }

    private static long notificationsBroadcast() throws IOException, InterruptedException {
        return stat(get("/api/v1/stats").body(), "\"notifications\":\\{\"connections\":\\d+,\"eventsBroadcast\":(\\d+)");
    }

    private static long stat(String json, String regex) {
        Matcher m = Pattern.compile(regex).matcher(json);
        assertThat(m.find()).as(json).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static long connections(DemoServer server, String regex) throws IOException, InterruptedException {
        return stat(HTTP.send(HttpRequest.newBuilder(server.uri().resolve("/api/v1/stats")).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString()).body(), regex);
    }

    @Test
    void greetingIsPlainText() throws Exception {
        HttpResponse<String> r = get("/api/v1/");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        assertThat(r.body()).contains("Hello").contains("/api/v1/sse");
    }

    @Test
    void pageIsServedAtRoot() throws Exception {
        HttpResponse<String> r = get("/");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        assertThat(r.body()).contains("id=\"updates\"").contains("app.js");
    }

    @Test
    void clockStreamSendsEventStreamHeaders() throws Exception {
        try (SseTestClient clock = SseTestClient.connect(uri("/api/v1/sse"))) {
            HttpResponse<?> r = clock.response();
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                    v -> assertThat(v.replace(" ", "").toLowerCase()).isEqualTo("text/event-stream;charset=utf-8"));
            assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-cache");
            assertThat(r.headers().firstValue("X-Accel-Buffering")).hasValue("no");
        }
    }

    @Test
    void clockSendsUpdatesWithIncreasingIdsAndExactJson() throws Exception {
        try (SseTestClient clock = SseTestClient.connect(uri("/api/v1/sse"))) {
            SseTestClient.Event first = clock.next(WAIT);
            SseTestClient.Event second = clock.next(WAIT);
            for (SseTestClient.Event e : new SseTestClient.Event[] {first, second}) {
                assertThat(e.type()).isEqualTo("update");
                assertThat(e.data()).matches(UPDATE_JSON);
            }
            assertThat(Long.parseLong(second.id())).isGreaterThan(Long.parseLong(first.id()));
            assertThat(clock.rawText()).contains("event: update\ndata: {\"time\":\"");
        }
    }

    @Test
    void postedNotificationReachesSubscriberByteExactWithCrlfAsSeparateDataLines() throws Exception {
        try (SseTestClient sub = SseTestClient.connect(uri("/api/v1/notifications"))) {
            String body = " leading space kept\r\nzweite Zeile: grüße, 日本語, \uD83D\uDE80\r\n";
            String id = postedId(post("/api/v1/notifications?event=greeting", body.getBytes(StandardCharsets.UTF_8)));

            SseTestClient.Event e = sub.next(WAIT);
            assertThat(e.id()).isEqualTo(id);
            assertThat(e.type()).isEqualTo("greeting");
            assertThat(e.data().getBytes(StandardCharsets.UTF_8))
                    .isEqualTo(body.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8));
            assertThat(sub.rawText()).contains("id: " + id + "\nevent: greeting\ndata:  leading space kept\n"
                    + "data: zweite Zeile: grüße, 日本語, \uD83D\uDE80\ndata:\n\n");
        }
    }

    @Test
    void lastEventIdHeaderReplaysWhatHistoryHolds() throws Exception {
        String first = postedId(post("/api/v1/notifications", "one".getBytes(StandardCharsets.UTF_8)));
        String second = postedId(post("/api/v1/notifications", "two".getBytes(StandardCharsets.UTF_8)));
        String third = postedId(post("/api/v1/notifications?event=info", "three".getBytes(StandardCharsets.UTF_8)));
        try (SseTestClient sub = SseTestClient.connect(uri("/api/v1/notifications"), Map.of("Last-Event-ID", first))) {
            assertThat(sub.next(WAIT)).isEqualTo(new SseTestClient.Event(second, "message", "two"));
            assertThat(sub.next(WAIT)).isEqualTo(new SseTestClient.Event(third, "info", "three"));
        }
    }

    @Test
    void lastEventIdQueryParameterReplaysToo() throws Exception {
        String first = postedId(post("/api/v1/notifications", "alpha".getBytes(StandardCharsets.UTF_8)));
        String second = postedId(post("/api/v1/notifications", "beta".getBytes(StandardCharsets.UTF_8)));
        try (SseTestClient sub = SseTestClient.connect(uri("/api/v1/notifications?lastEventId=" + first))) {
            assertThat(sub.next(WAIT)).isEqualTo(new SseTestClient.Event(second, "message", "beta"));
        }
    }

    @Test
    void encodedSurrogateInBodyIsRejectedAsInvalidUtf8() throws Exception {
        HttpResponse<String> r = post("/api/v1/notifications", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80});
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("\"field\":\"body\"");
    }

    @Test
    void bodyOfExactlyOneMebibyteIsAcceptedAndDelivered() throws Exception {
        byte[] body = new byte[1 << 20];
        Arrays.fill(body, (byte) 'a');
        try (SseTestClient sub = SseTestClient.connect(uri("/api/v1/notifications"))) {
            String id = postedId(post("/api/v1/notifications", body));
            SseTestClient.Event e = sub.next(WAIT);
            assertThat(e.id()).isEqualTo(id);
            assertThat(e.data()).hasSize(1 << 20);
        }
    }

    @Test
    void statsConnectionsRiseAndFall() throws Exception {
        // A server of its own, so that streams other tests left for the server to notice do not blur the count.
        DemoServer own = DemoServer.start(0);
        try {
            CountDownLatch clockClosed = new CountDownLatch(2);
            own.streams().clock().addListener(new HubListener() {
                @Override
                public void onClose(EventChannel channel, CloseReason reason) {
                    clockClosed.countDown();
                }
            });
            assertThat(connections(own, TOTAL)).isZero();
            SseTestClient a = SseTestClient.connect(own.uri().resolve("/api/v1/sse"));
            SseTestClient b = SseTestClient.connect(own.uri().resolve("/api/v1/sse"));
            try (SseTestClient n = SseTestClient.connect(own.uri().resolve("/api/v1/notifications"))) {
                assertThat(n.response().statusCode()).isEqualTo(200);
                // Headers arrive only after the channel is registered, so the count is already up.
                assertThat(connections(own, TOTAL)).isEqualTo(3);
                assertThat(connections(own, "\"clock\":\\{\"connections\":(\\d+)")).isEqualTo(2);
                assertThat(connections(own, "\"notifications\":\\{\"connections\":(\\d+)")).isEqualTo(1);

                a.close();
                b.close();
                // The clock writes every second, and a write is how a server learns that a client left.
                assertThat(clockClosed.await(10, TimeUnit.SECONDS)).as("clock streams closed").isTrue();
                assertThat(connections(own, TOTAL)).isEqualTo(1);
            }
        } finally {
            own.stop();
        }
    }
}
