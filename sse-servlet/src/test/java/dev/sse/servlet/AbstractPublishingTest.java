package dev.sse.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.Hub;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Publishing over HTTP ({@code POST} on the stream's URL): every refusal and the policy, on each container. */
abstract class AbstractPublishingTest {

    private static final Duration T = Duration.ofSeconds(5);

    private ServerFixture server;
    private Hub hub;
    private SseServlet servlet;
    private int port;
    private final Map<String, String> params = new HashMap<>();

    abstract ServerFixture newServer();

    private void start(SseServlet.Builder builder) throws Exception {
        start(builder, s -> s);
    }

    private void start(SseServlet.Builder builder, java.util.function.Function<SseServlet, HttpServlet> wrap)
            throws Exception {
        hub = Hub.builder().keepAlive(Duration.ZERO).build();
        servlet = builder.hub(hub).drain(Duration.ofMillis(100), null).build();
        server = newServer();
        port = server.start(wrap.apply(servlet), params);
    }

    @AfterEach
    void stop() throws Exception {
        if (hub != null) {
            hub.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    private SseClient post(String target, byte[] body, String... headers) throws IOException {
        StringBuilder head = new StringBuilder("POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                + "Content-Length: " + body.length + "\r\n");
        for (String h : headers) {
            head.append(h).append("\r\n");
        }
        head.append("\r\n");
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        all.writeBytes(body);
        return SseClient.rawRequest(port, all.toByteArray()).head(T);
    }

    private SseClient post(String target, String body, String... headers) throws IOException {
        return post(target, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + T.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    private SseClient subscribe(String target) throws Exception {
        int before = hub.channelCount();
        SseClient c = SseClient.get(port, target).head(T);
        assertThat(c.status()).isEqualTo(200);
        await("the subscriber registered", () -> hub.channelCount() == before + 1);
        return c;
    }

    @Test
    void postIsA405WhenPublishingWasNeverTurnedOn() throws Exception {
        start(SseServlet.builder());
        try (SseClient c = post("/events", "hi")) {
            assertThat(c.status()).isEqualTo(405);
            assertThat(c.header("allow")).isEqualTo("GET, HEAD, OPTIONS");
            assertThat(c.readBody(T)).isEqualTo("{\"error\":\"POST is not allowed; use GET, HEAD, OPTIONS\","
                    + "\"field\":\"method\"}");
        }
        assertThat(hub.stats().eventsBroadcast()).isZero();
    }

    @Test
    void openPublishingBroadcastsTheBodyAndAnswers202WithTheId() throws Exception {
        start(SseServlet.builder().publishing(PublishPolicy.open()));
        try (SseClient sub = subscribe("/events");
             SseClient c = post("/events?event=greeting", " two\r\nlines", "Content-Type: text/plain")) {
            assertThat(c.status()).isEqualTo(202);
            assertThat(c.header("content-type")).startsWith("application/json");
            String body = c.readBody(T);
            assertThat(body).matches("\\{\"id\":\"[^\"]+\"\\}");
            String id = body.substring(7, body.length() - 2);
            assertThat(sub.nextEvent(T)).isEqualTo("id: " + id + "\nevent: greeting\ndata:  two\ndata: lines\n\n");
        }
    }

    @Test
    void theTopicParameterPublishesToThatTopicsSubscribersOnly() throws Exception {
        start(SseServlet.builder().publishing(PublishPolicy.open()).allowedTopics(java.util.Set.of("*")));
        try (SseClient news = subscribe("/events?topic=news"); SseClient all = subscribe("/events")) {
            assertThat(post("/events?topic=sport", "goal").status()).isEqualTo(202);
            assertThat(post("/events?topic=news", "rain").status()).isEqualTo(202);
            assertThat(news.nextEvent(T)).endsWith("data: rain\n\n");
            assertThat(hub.subscriberCount("news")).isEqualTo(1);
            assertThat(all.status()).isEqualTo(200);
        }
    }

    @Test
    void otherMethodsAnswer405NamingPostWhenPublishing() throws Exception {
        start(SseServlet.builder().publishing(PublishPolicy.open()));
        try (SseClient c = SseClient.request(port, "PUT", "/events", s -> { }, "Content-Length: 0").head(T)) {
            assertThat(c.status()).isEqualTo(405);
            assertThat(c.header("allow")).isEqualTo("GET, HEAD, POST, OPTIONS");
            assertThat(c.readBody(T)).startsWith("{\"error\":\"PUT is not supported here; use GET to listen or POST "
                    + "to publish\"");
        }
    }

    @Test
    void aPolicyThatSaysNoIsA403BeforeTheBodyIsRead() throws Exception {
        List<String> asked = new CopyOnWriteArrayList<>();
        start(SseServlet.builder().publishing((req, event, topic) -> {
            asked.add(event + "/" + topic);
            return false;
        }));
        // Content-Length far over what is sent: a 403 that waited for the body would time out instead.
        try (SseClient c = SseClient.request(port, "POST", "/events?event=x&topic=t", s -> { },
                "Content-Length: 1000").head(T)) {
            assertThat(c.status()).isEqualTo(403);
            assertThat(c.readBody(T)).isEqualTo("{\"error\":\"this request may not publish here\"}");
        }
        assertThat(asked).containsExactly("x/t");
        assertThat(hub.stats().eventsBroadcast()).isZero();
    }

    @Test
    void aCustomPolicySeesThePrincipalTheContainerAuthenticated() throws Exception {
        start(SseServlet.builder().publishing((req, event, topic) -> req.getUserPrincipal() != null
                && req.getUserPrincipal().getName().equals("editor")), AuthenticatingServlet::new);
        try (SseClient anonymous = post("/events", "x")) {
            assertThat(anonymous.status()).isEqualTo(403);
        }
        try (SseClient visitor = post("/events", "x", "X-User: visitor")) {
            assertThat(visitor.status()).isEqualTo(403);
        }
        try (SseClient editor = post("/events", "x", "X-User: editor")) {
            assertThat(editor.status()).isEqualTo(202);
        }
        assertThat(hub.stats().eventsBroadcast()).isEqualTo(1);
    }

    @Test
    void thePublishInitParamNamesAPolicyClassAndOffTurnsPublishingOff() throws Exception {
        params.put("publish", OnlyAlerts.class.getName());
        start(SseServlet.builder());
        assertThat(post("/events?event=alert", "x").status()).isEqualTo(202);
        assertThat(post("/events?event=chat", "x").status()).isEqualTo(403);
        stop();
        params.put("publish", "off");
        start(SseServlet.builder().publishing(PublishPolicy.open()));
        assertThat(post("/events", "x").status()).isEqualTo(405);
    }

    @Test
    void aPageOfAnotherOriginMayNotPublish() throws Exception {
        start(SseServlet.builder().publishing(PublishPolicy.open()));
        try (SseClient c = post("/events", "x", "Origin: https://evil.example")) {
            assertThat(c.status()).isEqualTo(403);
            assertThat(c.readBody(T)).isEqualTo("{\"error\":\"origin https://evil.example may not publish here\"}");
        }
        try (SseClient c = post("/events", "x", "Origin: http://127.0.0.1:" + port)) {
            assertThat(c.status()).isEqualTo(202);
            assertThat(c.header("access-control-allow-origin")).isEqualTo("http://127.0.0.1:" + port);
        }
        assertThat(hub.stats().eventsBroadcast()).isEqualTo(1);
    }

    @Test
    void aDnsRebindingPageCannotPublishAsItsOwnOrigin() throws Exception {
        start(SseServlet.builder().publishing(PublishPolicy.open()));
        byte[] request = ("POST /events HTTP/1.1\r\nHost: evil.example:" + port + "\r\nOrigin: http://evil.example:"
                + port + "\r\nContent-Length: 1\r\n\r\nx").getBytes(StandardCharsets.ISO_8859_1);
        try (SseClient c = SseClient.rawRequest(port, request).head(T)) {
            assertThat(c.status()).isEqualTo(403);
            assertThat(c.readBody(T)).contains("may not publish here");
        }
    }

    @Test
    void thePublishPreflightIsAnsweredForAllowedOriginsAndRefusedForOthers() throws Exception {
        params.put("allowedOrigins", "https://app.example");
        start(SseServlet.builder().publishing(PublishPolicy.open()));
        try (SseClient ok = SseClient.request(port, "OPTIONS", "/events", s -> { }, "Origin: https://app.example",
                "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: content-type").head(T)) {
            assertThat(ok.status()).isEqualTo(204);
            assertThat(ok.header("access-control-allow-methods")).isEqualTo("POST");
            assertThat(ok.header("access-control-allow-headers")).isEqualTo("content-type");
            assertThat(ok.header("allow")).isEqualTo("GET, HEAD, POST, OPTIONS");
        }
        try (SseClient no = SseClient.request(port, "OPTIONS", "/events", s -> { }, "Origin: https://evil.example",
                "Access-Control-Request-Method: POST").head(T)) {
            assertThat(no.status()).isEqualTo(403);
            assertThat(no.readBody(T)).isEqualTo("{\"error\":\"origin https://evil.example may not publish here\"}");
        }
    }

    @Test
    void fieldInjectionThroughTheEventNameIsA400NamingEvent() throws Exception {
        start(SseServlet.builder().publishing(PublishPolicy.open()));
        try (SseClient c = post("/events?event=x%0Aid:%201", "x")) {
            assertThat(c.status()).isEqualTo(400);
            assertThat(c.readBody(T)).isEqualTo("{\"error\":\"event must not contain CR, LF or NUL (found LF at "
                    + "index 1)\",\"field\":\"event\"}");
        }
        try (SseClient c = post("/events?event=%C5", "x")) {
            assertThat(c.status()).isEqualTo(400);
            assertThat(c.readBody(T)).isEqualTo("{\"error\":\"event is not valid UTF-8 (bad byte sequence at byte "
                    + "offset 0)\",\"field\":\"event\"}");
        }
        try (SseClient c = post("/events?event=a&event=b", "x")) {
            assertThat(c.status()).isEqualTo(400);
            assertThat(c.readBody(T)).contains("\"field\":\"event\"");
        }
        assertThat(hub.stats().eventsBroadcast()).isZero();
    }

    @Test
    void aBodyThatIsNotUtf8IsA400NamingTheOffset() throws Exception {
        start(SseServlet.builder().publishing(PublishPolicy.open()));
        try (SseClient c = post("/events", new byte[] {'o', 'k', (byte) 0xC3, '(', 'x'})) {
            assertThat(c.status()).isEqualTo(400);
            assertThat(c.readBody(T)).isEqualTo("{\"error\":\"body is not valid UTF-8 (bad byte sequence at byte "
                    + "offset 2)\",\"field\":\"body\"}");
        }
        assertThat(hub.stats().eventsBroadcast()).isZero();
    }

    @Test
    void anOversizedContentLengthIsA413BeforeAnyContinue() throws Exception {
        start(SseServlet.builder().publishing(PublishPolicy.open()).maxBodyBytes(10));
        try (SseClient c = SseClient.request(port, "POST", "/events", s -> { }, "Content-Length: 11",
                "Expect: 100-continue").head(T)) {
            assertThat(c.status()).isEqualTo(413);
            assertThat(c.readBody(T)).isEqualTo("{\"error\":\"body must be at most 10 bytes\",\"field\":\"body\"}");
        }
        assertThat(post("/events", "0123456789").status()).isEqualTo(202);
    }

    @Test
    void aChunkedBodyIsCountedWhileItArrivesAndRefusedWith413() throws Exception {
        start(SseServlet.builder().publishing(PublishPolicy.open()).maxBodyBytes(10));
        byte[] request = ("POST /events HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "6\r\n012345\r\n6\r\n678901\r\n0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        try (SseClient c = SseClient.rawRequest(port, request).head(T)) {
            assertThat(c.status()).isEqualTo(413);
            assertThat(c.readBody(T)).contains("\"field\":\"body\"");
        }
        assertThat(hub.stats().eventsBroadcast()).isZero();
    }

    @Test
    void aMalformedChunkedBodyIsA400NotA408() throws Exception {
        start(SseServlet.builder().publishing(PublishPolicy.open()));
        byte[] request = ("POST /events HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\nZZ\r\nworld\r\n0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        try (SseClient c = SseClient.rawRequest(port, request).head(T)) {
            assertThat(c.status()).isEqualTo(400);
        }
        assertThat(hub.stats().eventsBroadcast()).isZero();
    }

    @Test
    void aStalledBodyIsA408WithJson() throws Exception {
        start(SseServlet.builder().publishing(PublishPolicy.open())
                .bodyDeadline(Duration.ofMillis(300), Duration.ofMillis(300), 1));
        try (SseClient c = SseClient.request(port, "POST", "/events", s -> { }, "Content-Length: 10").head(T)) {
            assertThat(c.status()).isEqualTo(408);
            assertThat(c.header("connection")).isEqualTo("close");
            assertThat(c.readBody(T)).startsWith("{\"error\":\"the request body did not arrive").endsWith(
                    "\"field\":\"body\"}");
        }
    }

    @Test
    void bodiesPastThePendingBudgetAreShedWith503AndRetryAfter() throws Exception {
        start(SseServlet.builder().publishing(PublishPolicy.open()).maxPendingBodyBytes(2048));
        try (Socket big = new Socket("127.0.0.1", port)) {
            big.getOutputStream().write(("POST /events HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n"
                    + "b".repeat(1500)).getBytes(StandardCharsets.ISO_8859_1));
            big.getOutputStream().flush();
            await("the first body holding the budget", () -> servlet.pendingBodyBytes() == 2048);
            try (SseClient shed = post("/events", "one more")) {
                assertThat(shed.status()).isEqualTo(503);
                assertThat(shed.header("retry-after")).isEqualTo("1");
                assertThat(shed.readBody(T)).isEqualTo("{\"error\":\"too many notifications are arriving at once; "
                        + "retry later\"}");
            }
        }
        await("the abandoned body's room given back", () -> servlet.pendingBodyBytes() == 0);
        assertThat(post("/events", "now there is room").status()).isEqualTo(202);
    }

    @Test
    void aClosedHubIsA503WithRetryAfterNotAnEmpty200() throws Exception {
        start(SseServlet.builder().publishing(PublishPolicy.open()));
        hub.close();
        try (SseClient c = post("/events", "x")) {
            assertThat(c.status()).isEqualTo(503);
            assertThat(c.header("retry-after")).isEqualTo("5");
            assertThat(c.readBody(T)).isEqualTo("{\"error\":\"the server is shutting down\"}");
        }
    }

    /** A policy named by class in the {@code publish} init-param. */
    public static final class OnlyAlerts implements PublishPolicy {
        @Override
        public boolean mayPublish(HttpServletRequest request, String event, String topic) {
            return "alert".equals(event);
        }
    }

    /** Stands in for container authentication: the principal is the {@code X-User} header. */
    static final class AuthenticatingServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;
        private final transient SseServlet delegate;

        AuthenticatingServlet(SseServlet delegate) {
            this.delegate = delegate;
        }

        @Override
        public void init(ServletConfig config) throws ServletException {
            super.init(config);
            delegate.init(config);
        }

        @Override
        public void destroy() {
            delegate.destroy();
        }

        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException,
                IOException {
            String user = req.getHeader("X-User");
            delegate.service(new HttpServletRequestWrapper(req) {
                @Override
                public Principal getUserPrincipal() {
                    return user == null ? null : () -> user;
                }
            }, resp);
        }
    }
}
