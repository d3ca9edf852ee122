package dev.sse.examples.shared;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The rest of the demos' HTTP contract (sse-examples/README.md's table), written once and run against every demo: the
 * page, the greeting, the clock stream, notifications with resume, and the stats. Publishing and the chat have their
 * own ({@link PublishContractTest}, {@link ChatContractTest}). A subclass starts its demo.
 */
public abstract class DemoContractTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** @return the demo's port on 127.0.0.1 */
    protected abstract int port();

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String publish(String event, String data) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri("/api/v1/notifications?event=" + event))
                .timeout(WAIT).POST(HttpRequest.BodyPublishers.ofString(data)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        Matcher m = Pattern.compile("\\{\"id\":\"([^\"]+)\"\\}").matcher(r.body());
        assertThat(m.matches()).as(r.body()).isTrue();
        return m.group(1);
    }

    @Test
    void thePageIsServedAtTheRootWithItsScript() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).get().asString().startsWith("text/html");
        assertThat(page.body()).contains("app.js");
        assertThat(get("/app.js").statusCode()).isEqualTo(200);
    }

    @Test
    void theGreetingIsPlainText() throws Exception {
        HttpResponse<String> hello = get("/api/v1/");
        assertThat(hello.statusCode()).isEqualTo(200);
        assertThat(hello.headers().firstValue("Content-Type")).get().asString().startsWith("text/plain");
        assertThat(hello.body()).contains("/api/v1/sse");
    }

    @Test
    void theClockStreamsUpdatesWithIncreasingIdsAndItsHeaders() throws Exception {
        try (Stream s = new Stream("/api/v1/sse")) {
            String seen = s.awaitMatch(Pattern.compile("id: (\\d+)\nevent: update\ndata: \\{\"time\":\"\\d\\d:\\d\\d:"
                    + "\\d\\d\",\"message\":\"[^\"]+\"}\n\n(?s:.*)id: (\\d+)\nevent: update\n"));
            String head = seen.substring(0, seen.indexOf("\r\n\r\n")).toLowerCase();
            assertThat(head).startsWith("http/1.1 200").contains("content-type: text/event-stream;charset=utf-8")
                    .contains("cache-control: no-cache").contains("x-accel-buffering: no");
            Matcher ids = Pattern.compile("id: (\\d+)\nevent: update").matcher(seen);
            assertThat(ids.find()).isTrue();
            long first = Long.parseLong(ids.group(1));
            assertThat(ids.find()).isTrue();
            assertThat(Long.parseLong(ids.group(1))).isGreaterThan(first);
        }
    }

    @Test
    void aResumeByHeaderReplaysWhatFollowedTheIdExactlyOnceThenLiveEvents() throws Exception {
        String first = publish("note", "one");
        String second = publish("note", "two");
        String third = publish("note", "three");
        try (Stream s = new Stream("/api/v1/notifications", "Last-Event-ID: " + first)) {
            s.awaitText("id: " + third + "\nevent: note\ndata: three\n\n");
            String live = publish("note", "four");
            String seen = s.awaitText("id: " + live + "\nevent: note\ndata: four\n\n");
            String body = seen.substring(seen.indexOf("\r\n\r\n"));
            assertThat(body).doesNotContain("data: one\n").doesNotContain("event: gap");
            assertThat(count(body, "data: two\n")).isEqualTo(1);
            assertThat(count(body, "data: three\n")).isEqualTo(1);
            assertThat(body.indexOf("id: " + second + "\n")).isLessThan(body.indexOf("id: " + third + "\n"));
        }
    }

    @Test
    void aResumeByQueryParameterReplaysLikeTheHeader() throws Exception {
        String first = publish("note", "alpha");
        String second = publish("note", "beta");
        try (Stream s = new Stream("/api/v1/notifications?lastEventId=" + first)) {
            String seen = s.awaitText("id: " + second + "\nevent: note\ndata: beta\n\n");
            assertThat(seen).doesNotContain("data: alpha\n");
        }
    }

    @Test
    void aResumeFromAnIdTheHistoryNoLongerHoldsStartsWithTheGapEvent() throws Exception {
        publish("note", "kept");
        try (Stream s = new Stream("/api/v1/notifications", "Last-Event-ID: 1")) {
            String seen = s.awaitText("event: gap\ndata: {\"message\":\"some notifications were missed\"}\n\n");
            assertThat(seen.indexOf("event: gap")).isLessThan(seen.lastIndexOf("data: kept\n") < 0
                    ? Integer.MAX_VALUE : seen.lastIndexOf("data: kept\n"));
        }
    }

    @Test
    void theStatsCountAnOpenStreamUnderItsName() throws Exception {
        try (Stream s = new Stream("/api/v1/sse")) {
            s.awaitText("event: update\n");
            HttpResponse<String> stats = get("/api/v1/stats");
            assertThat(stats.statusCode()).isEqualTo(200);
            assertThat(stats.headers().firstValue("Content-Type")).get().asString().startsWith("application/json");
            assertThat(stats.body()).startsWith("{\"connections\":").contains(",\"eventsBroadcast\":")
                    .containsPattern("\"clock\":\\{\"connections\":[1-9]")
                    .contains("\"notifications\":{\"connections\":")
                    .contains("\"chat\":{\"active\":");
        }
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    /** A stream read raw from a real socket: the head and the body's bytes as they come. */
    private final class Stream implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final ByteArrayOutputStream seen = new ByteArrayOutputStream();

        Stream(String path, String... headers) throws IOException {
            socket = new Socket("127.0.0.1", port());
            socket.setSoTimeout(200);
            StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port()
                    + "\r\nAccept: text/event-stream\r\n");
            for (String h : headers) {
                req.append(h).append("\r\n");
            }
            socket.getOutputStream().write(req.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
            in = socket.getInputStream();
        }

        String awaitText(String text) throws IOException {
            return await(() -> text(), t -> t.contains(text), text);
        }

        String awaitMatch(Pattern pattern) throws IOException {
            return await(() -> text(), t -> pattern.matcher(t).find(), pattern.pattern());
        }

        private String await(java.util.function.Supplier<String> current, java.util.function.Predicate<String> done,
                             String what) throws IOException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            byte[] buf = new byte[8192];
            // Chunked framing is stripped only where it cannot split a line the test looks for: chunk sizes and CRLFs
            // sit between frames, since each flush is whole frames.
            while (!done.test(current.get())) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("did not see " + what + " within " + WAIT + "; saw: " + current.get());
                }
                try {
                    int n = in.read(buf);
                    if (n < 0) {
                        throw new AssertionError("stream ended before " + what + "; saw: " + current.get());
                    }
                    seen.write(buf, 0, n);
                } catch (SocketTimeoutException e) {
                    // Read again until the deadline.
                }
            }
            return current.get();
        }

        private String text() {
            String raw = seen.toString(StandardCharsets.UTF_8);
            int head = raw.indexOf("\r\n\r\n");
            if (head < 0 || !raw.substring(0, head).toLowerCase().contains("transfer-encoding: chunked")) {
                return raw;
            }
            return raw.substring(0, head + 4) + dechunk(raw.substring(head + 4));
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** The body of a chunked response so far, without its framing (a last, partial chunk as far as it came). */
    private static String dechunk(String body) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < body.length()) {
            int eol = body.indexOf("\r\n", i);
            if (eol < 0) {
                break;
            }
            int size = Integer.parseInt(body.substring(i, eol).trim(), 16);
            int start = eol + 2;
            int end = Math.min(body.length(), start + size);
            out.append(body, start, end);
            i = end + 2;
        }
        return out.toString();
    }
}
