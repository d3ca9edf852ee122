package dev.sse.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.SseEvent;
import dev.sse.servlet.SseServlet;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo under the attacks of issue 15, each over real sockets: a Redis outage, bodies that declare more than they
 * send, headers trickled a byte at a time, a malformed chunked body, and streams shed under load. Every test is named
 * after the attack it fends off.
 */
class DemoOutageTest {

    /** The notification servlet's publishThreads and publishQueue in web.xml. */
    private static final int PUBLISH_THREADS = 2;
    private static final int PUBLISH_QUEUE = 32;

    private static final Logger LOG = LoggerFactory.getLogger(DemoOutageTest.class);
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;

    private static DemoServer start(FakeBackplane backplane) throws Exception {
        DemoServer.Options o = new DemoServer.Options();
        o.backplane = backplane;
        return DemoServer.start(o);
    }

    private static HttpResponse<String> post(DemoServer demo, String body) throws IOException, InterruptedException {
        return HTTP.send(publish(demo, body), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest publish(DemoServer demo, String body) {
        return HttpRequest.newBuilder(demo.uri().resolve("/api/v1/notifications")).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static HttpResponse<String> get(DemoServer demo, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(demo.uri().resolve(path)).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what);
            }
            Thread.sleep(10);
        }
    }

    private static void assertUnavailable(HttpResponse<String> r, String retryAfter, String error) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).hasValue(retryAfter);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("application/json"));
        assertThat(r.body()).isEqualTo("{\"error\":\"" + error + "\"}");
    }

    /** A web.xml fragment over the demo's own, as an operator would change a limit. */
    private DemoServer startWith(String overrides) throws Exception {
        Path xml = dir.resolve("override-web.xml");
        Files.writeString(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<web-app xmlns=\"https://jakarta.ee/xml/ns/jakartaee\" version=\"6.0\">\n" + overrides
                + "</web-app>\n");
        DemoServer.Options o = new DemoServer.Options();
        o.overrideDescriptor = xml.toUri();
        return DemoServer.start(o);
    }

    private static String param(String element, String name, String param, String value) {
        return "<" + element + "><" + element + "-name>" + name + "</" + element + "-name><init-param><param-name>"
                + param + "</param-name><param-value>" + value + "</param-value></init-param></" + element + ">\n";
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    // Finding 2: a Redis outage answered 200 with an empty body

    @Test
    void killedRedisIsAnswered503NotAnEmpty200() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        DemoServer.Options o = new DemoServer.Options();
        o.redis = "redis://127.0.0.1:" + closedPort;
        DemoServer demo = DemoServer.start(o);
        try {
            HttpResponse<String> r = post(demo, "lost?");
            assertUnavailable(r, "5", "the notification was not published: the backplane, which shares it with the "
                    + "other nodes, is unavailable; retry later");
        } finally {
            demo.stop();
        }
    }

    @Test
    void anyRuntimeExceptionFromTheBroadcastIsA503NotAnEmpty200() throws Exception {
        FakeBackplane backplane = new FakeBackplane();
        backplane.onPublish = e -> {
            throw new IllegalArgumentException("the log refused it");
        };
        DemoServer demo = start(backplane);
        try {
            assertUnavailable(post(demo, "x"), "5", "the notification was not published: the broadcast failed; "
                    + "retry later");
        } finally {
            demo.stop();
        }
    }

    @Test
    void anErrorThrownByTheBroadcastIsStillA503() throws Exception {
        FakeBackplane backplane = new FakeBackplane();
        backplane.onPublish = e -> {
            throw new AssertionError("a broken backplane");
        };
        DemoServer demo = start(backplane);
        try {
            assertUnavailable(post(demo, "x"), "5", "the notification was not published: the broadcast failed; "
                    + "retry later");
        } finally {
            demo.stop();
        }
    }

    @Test
    void publishingToAClosedHubIsA503WithRetryAfter() throws Exception {
        DemoServer demo = DemoServer.start(0);
        try {
            demo.streams().notifications().close();
            assertUnavailable(post(demo, "x"), "5", "the server is shutting down");
        } finally {
            demo.stop();
        }
    }

    @Test
    void pausedRedisIsNotAnsweredUntilTheBroadcastFailsAndThenIs503() throws Exception {
        FakeBackplane backplane = new FakeBackplane();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        backplane.onPublish = e -> {
            entered.countDown();
            try {
                resume.await();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("command timed out after 2 s");
        };
        DemoServer demo = start(backplane);
        try {
            CompletableFuture<HttpResponse<String>> answer = HTTP.sendAsync(publish(demo, "x"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
            // The broadcast is under way: no answer may have gone out yet, least of all a 200.
            assertThat(answer).isNotDone();
            resume.countDown();
            assertUnavailable(answer.get(5, TimeUnit.SECONDS), "5", "the notification was not published: the "
                    + "broadcast failed; retry later");
        } finally {
            resume.countDown();
            demo.stop();
        }
    }

    @Test
    void stalledRedisUnderManyConcurrentPostsDoesNotSlowTheStats() throws Exception {
        FakeBackplane backplane = new FakeBackplane();
        CountDownLatch resume = new CountDownLatch(1);
        backplane.onPublish = e -> {
            try {
                resume.await();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
            return backplane.deliver(e);
        };
        DemoServer demo = start(backplane);
        int posts = 300;
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        try {
            assertThat(get(demo, "/api/v1/stats").statusCode()).isEqualTo(200);
            for (int i = 0; i < posts; i++) {
                answers.add(HTTP.sendAsync(publish(demo, "n" + i), HttpResponse.BodyHandlers.ofString()));
            }
            // Two publish threads block and 32 posts wait for them; every other post is shed at once.
            int shedExpected = posts - PUBLISH_THREADS - PUBLISH_QUEUE;
            await(() -> answers.stream().filter(CompletableFuture::isDone).count() >= shedExpected,
                    shedExpected + " posts answered while Redis stalls");
            long t0 = System.nanoTime();
            HttpResponse<String> stats = get(demo, "/api/v1/stats");
            long statsMillis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(stats.statusCode()).isEqualTo(200);
            long shed = 0;
            for (CompletableFuture<HttpResponse<String>> a : answers) {
                if (a.isDone()) {
                    assertUnavailable(a.get(), "1", "too many notifications are waiting to be published; retry "
                            + "later");
                    shed++;
                }
            }
            LOG.info("{} posts while Redis stalls: {} shed at once with 503, stats answered in {} ms", posts, shed,
                    statsMillis);
            assertThat(shed).isEqualTo(shedExpected);
            assertThat(statsMillis).as("stats while %d posts wait on a stalled Redis", posts).isLessThan(1_000);
            // No container thread waits on Redis: only the publish path's own threads ever called it.
            assertThat(backplane.publishingThreads).allSatisfy(t -> assertThat(t).startsWith("sse-publish-notifications-"));

            resume.countDown();
            for (CompletableFuture<HttpResponse<String>> a : answers) {
                int status = a.get(10, TimeUnit.SECONDS).statusCode();
                assertThat(status).isIn(202, 503);
            }
            assertThat(answers.stream().filter(a -> a.join().statusCode() == 202).count())
                    .isEqualTo(posts - shedExpected);
        } finally {
            resume.countDown();
            demo.stop();
        }
    }

    @Test
    void eventsLostByTheBackplaneAreToldToEveryClientAsAGapEvent() throws Exception {
        FakeBackplane backplane = new FakeBackplane();
        DemoServer demo = start(backplane);
        try (SseTestClient a = SseTestClient.connect(demo.uri().resolve("/api/v1/notifications"));
             SseTestClient b = SseTestClient.connect(demo.uri().resolve("/api/v1/notifications"))) {
            await(() -> demo.streams().notifications().channelCount() == 2, "both clients connected");
            backplane.inbound.gap();
            for (SseTestClient client : List.of(a, b)) {
                SseTestClient.Event gap = client.next(WAIT);
                assertThat(gap.type()).isEqualTo("gap");
                assertThat(gap.data()).isEqualTo("{\"message\":\"some notifications were missed\"}");
            }
            assertThat(a.rawText()).contains("event: gap\ndata: {\"message\":\"some notifications were missed\"}\n\n");
        } finally {
            demo.stop();
        }
    }

    @Test
    void resumeFromAnIdTheHistoryNoLongerHoldsGetsTheGapEvent() throws Exception {
        DemoServer demo = DemoServer.start(0);
        try (SseTestClient c = SseTestClient.connect(demo.uri().resolve("/api/v1/notifications"),
                java.util.Map.of("Last-Event-ID", "4711"))) {
            SseTestClient.Event gap = c.next(WAIT);
            assertThat(gap.type()).isEqualTo("gap");
        } finally {
            demo.stop();
        }
    }

    // Finding 3: a body buffer sized from Content-Length

    @Test
    void bodiesDeclaringOneMebibyteHoldOnlyWhatArrived() throws Exception {
        DemoServer demo = DemoServer.start(0);
        List<Socket> slow = new ArrayList<>();
        int bodies = 100;
        try {
            SseServlet filter = demo.notificationServlet();
            for (int i = 0; i < bodies; i++) {
                Socket s = new Socket("localhost", demo.port());
                slow.add(s);
                s.getOutputStream().write(ascii("POST /api/v1/notifications HTTP/1.1\r\nHost: localhost\r\n"
                        + "Content-Length: 1048576\r\n\r\n" + "x".repeat(100)));
                s.getOutputStream().flush();
            }
            await(() -> filter.pendingBodyBytes() >= bodies * 100L, "every body's first 100 bytes held");
            long held = filter.pendingBodyBytes();
            LOG.info("{} bodies declaring 1 MiB with 100 bytes sent hold {} bytes", bodies, held);
            // 1 KiB each, the first buffer; sized from the header it was 100 MiB.
            assertThat(held).isLessThanOrEqualTo(bodies * 1024L);
        } finally {
            for (Socket s : slow) {
                s.close();
            }
            SseServlet filter = demo.notificationServlet();
            await(() -> filter.pendingBodyBytes() == 0, "every abandoned body's room given back");
            demo.stop();
        }
    }

    @Test
    void bodiesPastTheMemoryBudgetAreShedWith503() throws Exception {
        DemoServer demo = startWith(param("servlet", "notifications", "maxPendingBodyBytes", "16384"));
        try (Socket big = new Socket("localhost", demo.port())) {
            SseServlet filter = demo.notificationServlet();
            // 12,000 bytes in a buffer grown to 16 KiB: the whole budget.
            big.getOutputStream().write(ascii("POST /api/v1/notifications HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Length: 20000\r\n\r\n" + "b".repeat(12_000)));
            big.getOutputStream().flush();
            await(() -> filter.pendingBodyBytes() == 16384, "the first body holding the budget");

            HttpResponse<String> shed = post(demo, "one more");
            assertUnavailable(shed, "1", "too many notifications are arriving at once; retry later");
            assertThat(get(demo, "/api/v1/stats").statusCode()).isEqualTo(200);

            big.close();
            await(() -> filter.pendingBodyBytes() == 0, "the abandoned body's room given back");
            assertThat(post(demo, "now there is room").statusCode()).isEqualTo(202);
        } finally {
            demo.stop();
        }
    }

    // Finding 10: request headers trickled a byte a second

    @Test
    void headerTrickledOneByteAtATimeIsCutOffAtTheDeadline() throws Exception {
        DemoServer.Options o = new DemoServer.Options();
        o.headerDeadlineMillis = 1_000;
        DemoServer demo = DemoServer.start(o);
        try (Socket s = new Socket("localhost", demo.port())) {
            InputStream in = s.getInputStream();
            CompletableFuture<Long> closedAt = CompletableFuture.supplyAsync(() -> {
                try {
                    while (in.read() >= 0) {
                        // Nothing is expected; only the end counts.
                    }
                } catch (IOException e) {
                    // A reset is a close too.
                }
                return System.nanoTime();
            });
            byte[] header = ascii("GET /api/v1/notifications HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream"
                    + "\r\nUser-Agent: a-very-slow-client\r\n\r\n");
            OutputStream out = s.getOutputStream();
            long first = System.nanoTime();
            for (int i = 0; i < header.length && !closedAt.isDone(); i++) {
                try {
                    out.write(header[i]);
                    out.flush();
                } catch (IOException e) {
                    break;
                }
                // The trickle itself: a byte every 50 ms, so the header would take about 5 s.
                Thread.sleep(50);
            }
            long closedAfter = (closedAt.get(5, TimeUnit.SECONDS) - first) / 1_000_000;
            LOG.info("a trickled header was cut off {} ms after its first byte (deadline 1000 ms)", closedAfter);
            assertThat(closedAfter).isBetween(1_000L, 2_500L);
            assertThat(demo.headerDeadlineCloses()).isEqualTo(1);
        } finally {
            demo.stop();
        }
    }

    @Test
    void headerDeadlineLeavesIdleKeepAliveAndSlowBodiesAlone() throws Exception {
        DemoServer.Options o = new DemoServer.Options();
        o.headerDeadlineMillis = 300;
        DemoServer demo = DemoServer.start(o);
        try (Socket s = new Socket("localhost", demo.port())) {
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            out.write(ascii("POST /api/v1/notifications HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\nab"));
            out.flush();
            // The body, not the header, is late: the header deadline does not apply (the body's own does).
            Thread.sleep(800);
            out.write(ascii("cd"));
            out.flush();
            InputStream in = s.getInputStream();
            assertThat(readHead(in)).startsWith("HTTP/1.1 202 ");
            // Idle between requests for longer than the deadline: still open.
            Thread.sleep(800);
            out.write(ascii("GET /api/v1/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
            out.flush();
            assertThat(readHead(in)).startsWith("HTTP/1.1 200 ");
            assertThat(demo.headerDeadlineCloses()).isZero();
        } finally {
            demo.stop();
        }
    }

    /** Reads a response's head and its Content-Length body. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after " + head);
            }
            head.append((char) b);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
        if (m.find()) {
            in.readNBytes(Integer.parseInt(m.group(1)));
        }
        return head.toString();
    }

    // Finding 11: a malformed chunked body answered 408

    @Test
    void malformedChunkedBodyIsA400NamingTheBodyNotA408() throws Exception {
        DemoServer demo = DemoServer.start(0);
        try (Socket s = new Socket("localhost", demo.port())) {
            s.setSoTimeout(5_000);
            long before = demo.streams().notifications().stats().eventsBroadcast();
            s.getOutputStream().write(ascii("POST /api/v1/notifications HTTP/1.1\r\nHost: localhost\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\nworld\r\n0\r\n\r\n"));
            s.getOutputStream().flush();
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(all).startsWith("HTTP/1.1 400 ");
            assertThat(all).endsWith("\r\n\r\n{\"error\":\"malformed chunked body\",\"field\":\"body\"}");
            assertThat(demo.streams().notifications().stats().eventsBroadcast()).isEqualTo(before);
        } finally {
            demo.stop();
        }
    }

    // Finding 4: out of file descriptors

    @Test
    void acceptFailuresAreLoggedOncePerIntervalNotPerAttempt() throws Exception {
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        org.eclipse.jetty.server.Server server = new org.eclipse.jetty.server.Server();
        ThrottledAcceptConnector connector = new ThrottledAcceptConnector(server, lines::add, 0);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.start();
        try {
            for (int i = 0; i < 1_000; i++) {
                assertThat(connector.handleAcceptFailure(new IOException("Too many open files"))).isTrue();
            }
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).startsWith("accepting a connection failed: java.io.IOException: Too many open "
                    + "files").doesNotContain("\n");
        } finally {
            server.stop();
        }
    }

    @Test
    void throttledWarningReportsHowManyFailuresItSkipped() {
        long[] now = {0};
        List<String> lines = new ArrayList<>();
        ThrottledWarning w = new ThrottledWarning("accept failed", TimeUnit.SECONDS.toNanos(60), () -> now[0],
                lines::add);
        for (int i = 0; i < 500; i++) {
            w.record("EMFILE");
            now[0] += TimeUnit.MILLISECONDS.toNanos(100);
        }
        // 50 s: one line. Past 60 s: the second, counting what it stood for.
        assertThat(lines).hasSize(1);
        now[0] = TimeUnit.SECONDS.toNanos(61);
        w.record("EMFILE");
        assertThat(lines).hasSize(2);
        assertThat(lines.get(1)).contains("(and 499 more since the last report)");
    }

    @Test
    void statsAndPageStayReachableWhileStreamsAreShed() throws Exception {
        DemoServer demo = startWith(param("servlet", "notifications", "maxConnections", "2")
                + param("servlet", "clock", "maxConnections", "2"));
        List<SseTestClient> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                streams.add(SseTestClient.connect(demo.uri().resolve("/api/v1/notifications")));
                streams.add(SseTestClient.connect(demo.uri().resolve("/api/v1/sse")));
            }
            await(() -> demo.streams().notifications().channelCount() == 2
                    && demo.streams().clock().channelCount() == 2, "four streams open");
            // Both streams are full: a third is shed (200, retry:, end of stream) ...
            HttpResponse<String> shed = get(demo, "/api/v1/notifications");
            assertThat(shed.statusCode()).isEqualTo(200);
            assertThat(shed.body()).startsWith("retry:");
            // ... while the stats and the page still answer.
            HttpResponse<String> stats = get(demo, "/api/v1/stats");
            assertThat(stats.statusCode()).isEqualTo(200);
            assertThat(stats.body()).startsWith("{\"connections\":4,");
            assertThat(get(demo, "/").statusCode()).isEqualTo(200);
        } finally {
            for (SseTestClient s : streams) {
                s.close();
            }
            demo.stop();
        }
    }

    @Test
    void gapEventIsAnEventWithoutAnIdSoTheClientKeepsItsPlace() {
        assertThat(DemoStreams.GAP).isEqualTo(SseEvent.of("gap", "{\"message\":\"some notifications were missed\"}"));
        assertThat(DemoStreams.GAP.id()).isNull();
    }
}
