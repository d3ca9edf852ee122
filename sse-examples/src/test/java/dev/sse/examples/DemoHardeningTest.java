package dev.sse.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sse.servlet.RequestBodies;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo under the attacks of issue 9, each over real sockets against the server as {@code main} runs it. Every
 * test is named after the attack it fends off.
 */
class DemoHardeningTest {

    private static final Logger LOG = LoggerFactory.getLogger(DemoHardeningTest.class);
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String OTHER_ORIGIN = "https://attacker.example";
    private static final String FRIEND_ORIGIN = "https://app.example.com";

    private static DemoServer demo;

    @BeforeAll
    static void startDemo() throws Exception {
        demo = DemoServer.start(0);
    }

    @AfterAll
    static void stopDemo() {
        demo.stop();
    }

    private static String self(DemoServer server) {
        return "http://localhost:" + server.port();
    }

    private static HttpResponse<String> post(DemoServer server, String pathAndQuery, String origin, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.uri().resolve(pathAndQuery)).timeout(WAIT)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (origin != null) {
            request.header("Origin", origin);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long notificationsBroadcast(DemoServer server) throws IOException, InterruptedException {
        String stats = HTTP.send(HttpRequest.newBuilder(server.uri().resolve("/api/v1/stats")).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("\"notifications\":\\{\"connections\":\\d+,\"eventsBroadcast\":(\\d+)")
                .matcher(stats);
        assertThat(m.find()).as(stats).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** A raw HTTP/1.1 exchange: writes the bytes as given and reads until the server closes or the deadline. */
    private static Raw raw(DemoServer server, byte[] request, Duration deadline) throws IOException {
        try (Socket s = new Socket("localhost", server.port())) {
            s.setSoTimeout((int) deadline.toMillis());
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            return Raw.read(s.getInputStream());
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    record Raw(String head, String body) {
        static Raw read(InputStream in) throws IOException {
            String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int end = all.indexOf("\r\n\r\n");
            return end < 0 ? new Raw(all, "") : new Raw(all.substring(0, end + 2), all.substring(end + 4));
        }

        int status() {
            return Integer.parseInt(head.substring(9, 12));
        }
    }

    // Finding 1: slow request bodies

    @Test
    void slowBodiesDoNotStarveOtherRequests() throws Exception {
        DemoServer own = DemoServer.start(0);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        List<Socket> slow = new ArrayList<>();
        try {
            // Warm up: the first requests start Jetty's own threads, which are not what this test measures.
            assertThat(notificationsBroadcast(own)).isZero();
            int before = threads.getThreadCount();
            long jettyBefore = jettyThreads();
            byte[] head = ascii("POST /api/v1/notifications HTTP/1.1\r\nHost: localhost:" + own.port()
                    + "\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nx");
            for (int i = 0; i < 250; i++) {
                Socket s = new Socket("localhost", own.port());
                slow.add(s);
                s.getOutputStream().write(head);
                s.getOutputStream().flush();
            }
            // A second byte on each, as a trickling client would send a few seconds later.
            for (Socket s : slow) {
                s.getOutputStream().write('y');
                s.getOutputStream().flush();
            }

            long t0 = System.nanoTime();
            HttpResponse<String> stats = HTTP.send(HttpRequest.newBuilder(own.uri().resolve("/api/v1/stats"))
                    .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString());
            long statsMillis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(stats.statusCode()).isEqualTo(200);
            int during = threads.getThreadCount();
            long jettyDuring = jettyThreads();
            // A thread may still be dispatching one of the 250 heads; one blocked in a read stays there for good.
            long waitingForBodies = threadsIn(RequestBodies.class);
            for (long deadline = System.nanoTime() + 2_000_000_000L; waitingForBodies > 0
                    && System.nanoTime() < deadline; waitingForBodies = threadsIn(RequestBodies.class)) {
                Thread.sleep(20);
            }

            t0 = System.nanoTime();
            try (SseTestClient clock = SseTestClient.connect(own.uri().resolve("/api/v1/sse"))) {
                assertThat(clock.response().statusCode()).isEqualTo(200);
                assertThat(clock.next(Duration.ofSeconds(3)).type()).isEqualTo("update");
            }
            long streamMillis = (System.nanoTime() - t0) / 1_000_000;
            during = Math.max(during, threads.getThreadCount());
            jettyDuring = Math.max(jettyDuring, jettyThreads());
            LOG.info("under 250 slow bodies: stats answered in {} ms, a new stream's first event in {} ms, "
                    + "JVM threads {} -> {}, Jetty's {} -> {}, {} in RequestBodies", statsMillis, streamMillis, before,
                    during, jettyBefore, jettyDuring, waitingForBodies);
            // None of the slow bodies was ever complete, so none may have been published.
            assertThat(notificationsBroadcast(own)).isZero();
            // A blocking read would hold one of Jetty's (at most 200) threads per slow body. The burst of 250
            // requests may still make the pool grow somewhat while it dispatches them.
            assertThat(waitingForBodies).as("threads inside RequestBodies while 250 bodies trickle in").isZero();
            assertThat(jettyDuring).as("Jetty threads while 250 bodies trickle in").isLessThan(150);
        } finally {
            for (Socket s : slow) {
                s.close();
            }
            own.stop();
        }
    }

    /** Threads of Jetty's default pool, named "qtp" and a number; the JDK client's and the test's are not. */
    private static long jettyThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("qtp")).count();
    }

    /** Threads whose stack is in the given class right now. */
    private static long threadsIn(Class<?> type) {
        return Thread.getAllStackTraces().values().stream()
                .filter(stack -> Arrays.stream(stack).anyMatch(f -> f.getClassName().startsWith(type.getName())))
                .count();
    }

    @Test
    void stalledBodyEndsIn408WithJsonNotAnExceptionPage() throws Exception {
        long before = notificationsBroadcast(demo);
        long t0 = System.nanoTime();
        Raw r = raw(demo, ascii("POST /api/v1/notifications HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10"
                + "\r\n\r\nhi"), Duration.ofSeconds(20));
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.status()).as(r.head()).isEqualTo(408);
        assertThat(r.head().toLowerCase()).contains("content-type: application/json");
        assertThat(r.body()).isEqualTo("{\"error\":\"the request body arrived slower than 1024 bytes a second\","
                + "\"field\":\"body\"}");
        // The grace time (5 s) passes before the minimum rate applies.
        assertThat(millis).isBetween(4_900L, 15_000L);
        assertThat(notificationsBroadcast(demo)).isEqualTo(before);
    }

    @Test
    void oversizedUploadIsRefusedWith413BeforeAnyContinue() throws Exception {
        long before = notificationsBroadcast(demo);
        Raw r = raw(demo, ascii("POST /api/v1/notifications HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
                + "Content-Length: 1048577\r\n\r\n"), WAIT);
        assertThat(r.head()).startsWith("HTTP/1.1 413 ");
        assertThat(r.body()).isEqualTo("{\"error\":\"body must be at most 1048576 bytes\",\"field\":\"body\"}");
        assertThat(notificationsBroadcast(demo)).isEqualTo(before);
    }

    @Test
    void hugeContentLengthIsRefusedWith413() throws Exception {
        Raw r = raw(demo, ascii("POST /api/v1/notifications HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Length: 99999999999\r\n\r\nabc"), WAIT);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.body()).contains("\"field\":\"body\"");
    }

    private static HttpResponse<String> postChunked(byte[] body) throws IOException, InterruptedException {
        // An input stream of unknown length makes the client send the body chunked, without Content-Length.
        return HTTP.send(HttpRequest.newBuilder(demo.uri().resolve("/api/v1/notifications")).timeout(WAIT)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void chunkedBodyOfExactlyOneMebibyteIsAccepted() throws Exception {
        byte[] body = new byte[1 << 20];
        Arrays.fill(body, (byte) 'c');
        HttpResponse<String> r = postChunked(body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    }

    @Test
    void chunkedBodyOverOneMebibyteIsCountedWhileReadingAndRefused() throws Exception {
        long before = notificationsBroadcast(demo);
        HttpResponse<String> r = postChunked(new byte[(1 << 20) + 1]);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.body()).isEqualTo("{\"error\":\"body must be at most 1048576 bytes\",\"field\":\"body\"}");
        assertThat(notificationsBroadcast(demo)).isEqualTo(before);
    }

    // Finding 5: cross-origin broadcasts and the default interface

    @Test
    void dnsRebindingPageCannotPublishAsItsOwnOrigin() throws Exception {
        // A page at evil.example whose name now resolves to this machine: its Origin matches the Host it sends.
        long before = notificationsBroadcast(demo);
        String evil = "evil.example:" + demo.port();
        Raw r = raw(demo, ascii("POST /api/v1/notifications HTTP/1.1\r\nHost: " + evil + "\r\nOrigin: http://" + evil
                + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"), WAIT);
        assertThat(r.status()).as(r.head()).isEqualTo(403);
        assertThat(r.body()).isEqualTo("{\"error\":\"origin http://" + evil + " may not publish here\"}");
        assertThat(notificationsBroadcast(demo)).isEqualTo(before);
    }

    @Test
    void sameOriginUnderAnAddressIsAccepted() throws Exception {
        String self = "127.0.0.1:" + demo.port();
        Raw r = raw(demo, ascii("POST /api/v1/notifications HTTP/1.1\r\nHost: " + self + "\r\nOrigin: http://" + self
                + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"), WAIT);
        assertThat(r.status()).as(r.head()).isEqualTo(202);
    }

    @Test
    void nullOriginBroadcastIsRefused() throws Exception {
        assertThat(post(demo, "/api/v1/notifications", "null", ascii("x")).statusCode()).isEqualTo(403);
    }

    @Test
    void sameOriginPostIsAccepted() throws Exception {
        HttpResponse<String> r = post(demo, "/api/v1/notifications", self(demo), ascii("from the page"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    }

    @Test
    void postWithoutOriginIsAccepted() throws Exception {
        assertThat(post(demo, "/api/v1/notifications", null, ascii("from curl")).statusCode()).isEqualTo(202);
    }

    @Test
    void allowedOriginMayPublishAndListenButOthersMayNot() throws Exception {
        DemoServer own = DemoServer.start(DemoServer.DEFAULT_HOST, 0, Set.of(FRIEND_ORIGIN));
        try {
            HttpResponse<String> r = post(own, "/api/v1/notifications", FRIEND_ORIGIN, ascii("hi"));
            assertThat(r.statusCode()).isEqualTo(202);
            assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue(FRIEND_ORIGIN);
            assertThat(post(own, "/api/v1/notifications", OTHER_ORIGIN, ascii("hi")).statusCode()).isEqualTo(403);
            try (SseTestClient s = SseTestClient.connect(own.uri().resolve("/api/v1/notifications"),
                    Map.of("Origin", FRIEND_ORIGIN))) {
                assertThat(s.response().statusCode()).isEqualTo(200);
                assertThat(s.response().headers().firstValue("Access-Control-Allow-Origin")).hasValue(FRIEND_ORIGIN);
            }
        } finally {
            own.stop();
        }
    }

    @Test
    void demoIsNotReachableFromOtherHostsByDefault() throws Exception {
        InetAddress external = nonLoopbackAddress();
        assumeTrue(external != null, "this machine has no non-loopback IPv4 address to try");
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(external, demo.port()), 2_000);
            }
        }).isInstanceOf(ConnectException.class);

        // The same probe does reach a demo that was asked to listen everywhere, so the check above can fail.
        DemoServer wide = DemoServer.start("0.0.0.0", 0);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(external, wide.port()), 2_000);
            assertThat(s.isConnected()).isTrue();
        } finally {
            wide.stop();
        }
    }

    private static InetAddress nonLoopbackAddress() throws SocketException {
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nif.isUp() || nif.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
                    return a;
                }
            }
        }
        return null;
    }

    @Test
    void allowOriginOptionIsRepeatableAndChecked() {
        assertThat(DemoServer.allowedOrigins(new String[] {"--allow-origin", "https://a.example/",
                "--allow-origin=http://b.example:8081"}, "https://ignored.example"))
                .containsExactlyInAnyOrder("https://a.example", "http://b.example:8081");
        assertThat(DemoServer.allowedOrigins(new String[0], "https://a.example, https://b.example"))
                .containsExactlyInAnyOrder("https://a.example", "https://b.example");
        assertThatThrownBy(() -> DemoServer.allowedOrigins(new String[] {"--allow-origin", "a.example/path"}, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a.example/path");
    }

    // Finding 9: a raw non-ASCII byte in the event name

    @Test
    void rawHighByteThatIsNotUtf8InEventNameIsRejected() throws Exception {
        Raw r = raw(demo, concat(ascii("POST /api/v1/notifications?event=x"), new byte[] {(byte) 0xFF},
                ascii(" HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")), WAIT);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains("\"field\":\"event\"");
    }

    @Test
    void percentEncodedUtf8EventNameStillArrivesWhole() throws Exception {
        try (SseTestClient sub = SseTestClient.connect(demo.uri().resolve("/api/v1/notifications"))) {
            HttpResponse<String> r = post(demo, "/api/v1/notifications?event=%C5%81%C3%B3d%C5%BA", null, ascii("x"));
            assertThat(r.statusCode()).isEqualTo(202);
            SseTestClient.Event e = sub.next(WAIT);
            assertThat(e.type()).isEqualTo("Łódź");
            assertThat(sub.rawText()).contains("event: Łódź\n");
        }
    }

    // Finding 10: OPTIONS on the publish path

    private static HttpResponse<String> options(String origin, String method) throws Exception {
        // What a browser asks: content-type for a JSON POST, last-event-id for an EventSource that resumes.
        String headers = method.equals("POST") ? "content-type" : "last-event-id";
        return HTTP.send(HttpRequest.newBuilder(demo.uri().resolve("/api/v1/notifications")).timeout(WAIT)
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", origin).header("Access-Control-Request-Method", method)
                .header("Access-Control-Request-Headers", headers).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void streamPreflightIsNotHiddenBehindA405() throws Exception {
        HttpResponse<String> r = options(self(demo), "GET");
        assertThat(r.statusCode()).isEqualTo(204);
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue(self(demo));
        assertThat(r.headers().firstValue("Access-Control-Allow-Methods")).hasValue("GET, HEAD");
        assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD, POST, OPTIONS");
    }

    @Test
    void publishPreflightFromAllowedOriginIsAnswered() throws Exception {
        HttpResponse<String> r = options(self(demo), "POST");
        assertThat(r.statusCode()).isEqualTo(204);
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue(self(demo));
        assertThat(r.headers().firstValue("Access-Control-Allow-Methods")).hasValue("POST");
        assertThat(r.headers().firstValue("Access-Control-Allow-Headers")).hasValue("content-type");
    }

    // Error pages

    @Test
    void wrongMethodOnStreamAnswersJsonNotAnHtmlPage() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(demo.uri().resolve("/api/v1/sse")).timeout(WAIT)
                .header("Accept", "text/html").PUT(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("application/json"));
        assertThat(r.body()).isEqualTo("{\"error\":\"PUT is not allowed; use GET, HEAD, OPTIONS\",\"field\":\"method\"}");
    }

    @Test
    void unknownPathAnswersJsonNotAnHtmlPage() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(demo.uri().resolve("/api/v1/nope")).timeout(WAIT)
                .header("Accept", "text/html").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("application/json"));
        assertThat(r.body()).isEqualTo("{\"error\":\"Not Found\"}");
    }

    @Test
    void crossOriginListenerIsRefusedWithJson() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(demo.uri().resolve("/api/v1/sse")).timeout(WAIT)
                .header("Origin", OTHER_ORIGIN).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).isEqualTo("{\"error\":\"origin " + OTHER_ORIGIN + " is not allowed\",\"field\":\"Origin\"}");
    }
}
