package dev.sse.examples.shared;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Publishing over HTTP ({@code POST /api/v1/notifications}), written once and run against both demos, whose
 * notification servlet publishes with the library's {@code SseServlet} ({@code publish} = open): sse-examples (Jetty,
 * web.xml) and sse-examples-spring-boot (Tomcat, a registration bean). A subclass starts its demo.
 */
public abstract class PublishContractTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String OTHER_ORIGIN = "https://evil.example";

    /** @return the demo's port on 127.0.0.1 */
    protected abstract int port();

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    private HttpResponse<String> post(String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(WAIT)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        return post(path, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    private static String postedId(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        Matcher m = Pattern.compile("\\{\"id\":\"([^\"]+)\"\\}").matcher(r.body());
        assertThat(m.matches()).as(r.body()).isTrue();
        return m.group(1);
    }

    private long broadcast() throws Exception {
        String stats = HTTP.send(HttpRequest.newBuilder(uri("/api/v1/stats")).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("\"notifications\":\\{\"connections\":\\d+,\"eventsBroadcast\":(\\d+)")
                .matcher(stats);
        assertThat(m.find()).as(stats).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** Sends raw bytes, for what the JDK's client refuses to send; reads the answer's head and body to the end. */
    private String raw(byte[] request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port())) {
            s.setSoTimeout((int) WAIT.toMillis());
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                if (out.size() == 0) {
                    throw e;
                }
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aPostedNotificationReachesTheStreamByteExactAndIsAnswered202WithItsId() throws Exception {
        HttpResponse<InputStream> stream = HTTP.send(HttpRequest.newBuilder(uri("/api/v1/notifications")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = stream.body()) {
            assertThat(stream.statusCode()).isEqualTo(200);
            String body = " leading space kept\r\nzweite Zeile: grüße, \uD83D\uDE80";
            String id = postedId(post("/api/v1/notifications?event=greeting", body, "Content-Type",
                    "text/plain;charset=utf-8"));
            String expected = "id: " + id + "\nevent: greeting\ndata:  leading space kept\n"
                    + "data: zweite Zeile: grüße, \uD83D\uDE80\n\n";
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[1024];
            while (!got.toString(StandardCharsets.UTF_8).contains(expected)) {
                int n = in.read(buf);
                assertThat(n).as("stream ended before the event; got %s", got).isPositive();
                got.write(buf, 0, n);
            }
        }
    }

    @Test
    void aPostWithoutEventNameIsAnsweredWithTheIdTheHubGave() throws Exception {
        long before = broadcast();
        postedId(post("/api/v1/notifications", "plain"));
        assertThat(broadcast()).isEqualTo(before + 1);
    }

    @ParameterizedTest(name = "event name containing {0} is rejected")
    @ValueSource(strings = {"%0D", "%0A", "%00"})
    void fieldInjectionThroughTheEventNameIsRejected(String escape) throws Exception {
        long before = broadcast();
        HttpResponse<String> r = post("/api/v1/notifications?event=x" + escape + "id:%201", "hi");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("application/json"));
        assertThat(r.body()).startsWith("{\"error\":\"event must not contain CR, LF or NUL (found ")
                .endsWith(" at index 1)\",\"field\":\"event\"}");
        assertThat(broadcast()).isEqualTo(before);
    }

    @Test
    void aRawNonAsciiEventNameIsRejectedNotTruncatedToItsLowByte() throws Exception {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(ascii("POST /api/v1/notifications?event="));
        request.writeBytes(new byte[] {(byte) 0xC5, (byte) 0x81});
        request.writeBytes(ascii(" HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"));
        long before = broadcast();
        String answer = raw(request.toByteArray());
        assertThat(answer).startsWith("HTTP/1.1 400 ");
        // Tomcat's parser refuses the raw byte in the request line itself (an HTML page); where it reaches the servlet
        // (Jetty), the servlet's answer names the field.
        if (answer.toLowerCase(java.util.Locale.ROOT).contains("content-type: application/json")) {
            assertThat(answer).endsWith("{\"error\":\"event must be percent-encoded UTF-8 (found a raw byte that is "
                    + "not printable ASCII at index 0)\",\"field\":\"event\"}");
        }
        assertThat(broadcast()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"event=%C5", "event=%G1", "event=a%2", "event=%C5%41"})
    void aMalformedPercentEncodingInTheEventNameIsRejected(String query) throws Exception {
        String answer = raw(ascii("POST /api/v1/notifications?" + query + " HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Length: 2\r\nConnection: close\r\n\r\nhi"));
        assertThat(answer).startsWith("HTTP/1.1 400 ");
        assertThat(answer).containsPattern("\\{\"error\":\"event [^\"]+\",\"field\":\"event\"}$");
    }

    @Test
    void aBodyThatIsNotUtf8IsRejectedNamingTheOffset() throws Exception {
        long before = broadcast();
        HttpResponse<String> r = post("/api/v1/notifications", new byte[] {'o', 'k', (byte) 0xC3, '(', 'x'});
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).isEqualTo(
                "{\"error\":\"body is not valid UTF-8 (bad byte sequence at byte offset 2)\",\"field\":\"body\"}");
        assertThat(broadcast()).isEqualTo(before);
    }

    @Test
    void aChunkedBodyOneByteOverOneMebibyteIsA413() throws Exception {
        long before = broadcast();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri("/api/v1/notifications")).timeout(WAIT)
                .POST(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofByteArray(new byte[(1 << 20) + 1]))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.body()).isEqualTo("{\"error\":\"body must be at most 1048576 bytes\",\"field\":\"body\"}");
        assertThat(broadcast()).isEqualTo(before);
    }

    @Test
    void aMalformedChunkedBodyIsA400NotA408() throws Exception {
        String answer = raw(ascii("POST /api/v1/notifications HTTP/1.1\r\nHost: localhost\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\nworld\r\n0\r\n\r\n"));
        assertThat(answer).startsWith("HTTP/1.1 400 ");
        assertThat(answer).containsIgnoringCase("content-type: application/json");
    }

    @Test
    void otherMethodsGet405NamingPost() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri("/api/v1/notifications")).timeout(WAIT)
                .PUT(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD, POST, OPTIONS");
        assertThat(r.body()).isEqualTo("{\"error\":\"PUT is not supported here; use GET to listen or POST to "
                + "publish\",\"field\":\"method\"}");
    }

    @Test
    void aCrossSiteBroadcastIsRefused() throws Exception {
        long before = broadcast();
        HttpResponse<String> r = post("/api/v1/notifications", "x", "Origin", OTHER_ORIGIN);
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).isEqualTo("{\"error\":\"origin " + OTHER_ORIGIN + " may not publish here\"}");
        assertThat(broadcast()).isEqualTo(before);
    }

    @Test
    void theSameOriginUnderAnAddressMayPublish() throws Exception {
        HttpResponse<String> r = post("/api/v1/notifications", "x", "Origin", "http://127.0.0.1:" + port());
        postedId(r);
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue("http://127.0.0.1:" + port());
    }

    @Test
    void thePublishPreflightOfAnotherOriginIsRefusedWithJson() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri("/api/v1/notifications")).timeout(WAIT)
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", OTHER_ORIGIN)
                .header("Access-Control-Request-Method", "POST").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).isEqualTo("{\"error\":\"origin " + OTHER_ORIGIN + " may not publish here\"}");
    }
}
