package dev.sse.cat;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the shaded jar, {@code target/sse-cat.jar}, as a user would, against a JDK HttpServer. */
class SseCatIT {

    private static HttpServer server;
    private static final CountDownLatch NEVER = new CountDownLatch(1);
    private static final AtomicInteger RETRY_ZERO = new AtomicInteger();
    private static final AtomicInteger RETRY_AFTER_ZERO = new AtomicInteger();
    private static final AtomicInteger ANSWERS = new AtomicInteger();
    private static final String HOSTILE = "\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202e\r\nsse-cat: closed\n";

    @TempDir
    Path tmp;

    @BeforeAll
    static void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/events", ex -> stream(ex,
                "id: 1\nevent: update\ndata: {\"n\":1}\n\n: a comment\ndata: line\ndata: two\u2028\n\n"
                + "id: 3\ndata: é😀\n\n"));
        server.createContext("/echo", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            stream(ex, "data: " + ex.getRequestMethod() + " " + body + " " + ex.getRequestHeaders().getFirst("X-Test")
                    + " " + ex.getRequestHeaders().getFirst("Last-Event-ID") + "\n\n");
        });
        server.createContext("/forever", ex -> {
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            out.write("data: first\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            try {
                NEVER.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        server.createContext("/retry-zero", ex -> {
            RETRY_ZERO.incrementAndGet();
            stream(ex, "retry: 0\n\n");
        });
        server.createContext("/retry-after-zero", ex -> {
            RETRY_AFTER_ZERO.incrementAndGet();
            ex.getResponseHeaders().add("Retry-After", "0");
            ex.sendResponseHeaders(503, -1);
            ex.close();
        });
        server.createContext("/answer", ex -> {
            ANSWERS.incrementAndGet();
            stream(ex, "data: {\"token\":\"hi\"}\n\ndata: [DONE]\n\n");
        });
        server.createContext("/hostile-error", ex -> {
            byte[] body = HOSTILE.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/plain");
            ex.sendResponseHeaders(403, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.createContext("/hostile-header", ex -> {
            ex.getResponseHeaders().add("Content-Type", "text/event-stream; x=\u001b]0;pwned\u0007\u001b[2J");
            ex.sendResponseHeaders(200, 0);
            ex.getResponseBody().write("data: ok\n\n".getBytes(StandardCharsets.UTF_8));
            ex.close();
        });
        server.createContext("/c1-header", ex -> {
            ex.getResponseHeaders().add("Content-Type", "text/event-stream; x=\u009b2J\u0085");
            stream(ex, "data: ok\n\n");
        });
        server.createContext("/never-ends", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            out.write("data: a\n\ndata: [DONE]\n\ndata: after\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            try {
                NEVER.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        server.createContext("/nocontent", ex -> {
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.createContext("/unauthorized", ex -> {
            byte[] body = "go away".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(401, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
    }

    @AfterAll
    static void stopServer() {
        NEVER.countDown();
        server.stop(0);
    }

    private static void stream(HttpExchange ex, String body) throws IOException {
        ex.getRequestBody().readAllBytes();
        ex.getResponseHeaders().add("Content-Type", "text/event-stream; charset=utf-8");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    private static final class Result {
        int exit;
        List<String> stdout;
        String stderr;
    }

    private Result run(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(System.getProperty("sse-cat.jar", "target/sse-cat.jar"));
        command.addAll(List.of(args));
        Path out = tmp.resolve("out");
        Path err = tmp.resolve("err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("sse-cat did not exit within 30 s: " + Files.readString(err));
        }
        Result r = new Result();
        r.exit = p.exitValue();
        r.stdout = Files.readAllLines(out, StandardCharsets.UTF_8);
        r.stderr = Files.readString(err, StandardCharsets.UTF_8);
        return r;
    }

    @Test
    void printsOneJsonLinePerEventAndExitsZeroWhenTheStreamEndsWithNoReconnect() throws Exception {
        Result r = run("--no-reconnect", "--comments", url("/events"));
        assertThat(r.exit).as(r.stderr).isZero();
        assertThat(r.stdout).containsExactly(
                "{\"type\":\"update\",\"data\":\"{\\\"n\\\":1}\",\"lastEventId\":\"1\"}",
                "{\"comment\":\"a comment\"}",
                "{\"type\":\"message\",\"data\":\"line\\ntwo\\u2028\",\"lastEventId\":\"1\"}",
                "{\"type\":\"message\",\"data\":\"é😀\",\"lastEventId\":\"3\"}");
        assertThat(r.stderr).contains("connecting to " + url("/events")).contains("open: 200").contains("closed")
                .doesNotContain("SLF4J");
    }

    @Test
    void maxEventsExitsZeroAfterPrintingThatMany() throws Exception {
        Result r = run("--max-events", "2", url("/events"));
        assertThat(r.exit).as(r.stderr).isZero();
        assertThat(r.stdout).hasSize(2);
        assertThat(r.stdout.get(1)).startsWith("{\"type\":\"message\"");
    }

    @Test
    void reconnectsAndReportsTheWaitOnStderr() throws Exception {
        Result r = run("--max-events", "4", url("/events"));
        assertThat(r.exit).as(r.stderr).isZero();
        assertThat(r.stdout).hasSize(4);
        assertThat(r.stdout.get(3)).isEqualTo("{\"type\":\"update\",\"data\":\"{\\\"n\\\":1}\",\"lastEventId\":\"1\"}");
        assertThat(r.stderr).containsPattern("stream ended; reconnecting in \\d+ ms").doesNotContain("error");
    }

    @Test
    void maxTimeExitsZeroWhenItPasses() throws Exception {
        Result r = run("--max-time", "1", url("/forever"));
        assertThat(r.exit).as(r.stderr).isZero();
        assertThat(r.stdout).containsExactly("{\"type\":\"message\",\"data\":\"first\",\"lastEventId\":\"\"}");
    }

    @Test
    void noContentFromTheServerExitsZero() throws Exception {
        Result r = run(url("/nocontent"));
        assertThat(r.exit).as(r.stderr).isZero();
        assertThat(r.stdout).isEmpty();
        assertThat(r.stderr).contains("closed (204)");
    }

    @Test
    void aFatalStatusExitsOneNamingIt() throws Exception {
        Result r = run(url("/unauthorized"));
        assertThat(r.exit).isEqualTo(1);
        assertThat(r.stdout).isEmpty();
        assertThat(r.stderr).contains("401").contains("go away");
    }

    @Test
    void methodBodyHeadersAndLastEventIdAreSent() throws Exception {
        Path body = tmp.resolve("body.json");
        Files.writeString(body, "{\"q\":1}");
        Result r = run("-X", "PUT", "--data-file", body.toString(), "-H", "X-Test: yes", "--last-event-id", "41",
                "--no-reconnect", url("/echo"));
        assertThat(r.exit).as(r.stderr).isZero();
        assertThat(r.stdout).containsExactly(
                "{\"type\":\"message\",\"data\":\"PUT {\\\"q\\\":1} yes 41\",\"lastEventId\":\"41\"}");
        Result post = run("-d", "hi", "--no-reconnect", url("/echo"));
        assertThat(post.stdout.get(0)).contains("POST hi null null");
    }

    @Test
    void retryZeroDoesNotHammerTheServer() throws Exception {
        Result r = run("--max-time", "2", url("/retry-zero"));
        assertThat(r.exit).as(r.stderr).isZero();
        // 250 ms floor doubling while streams end without an event: at most 5 requests in 2 s (2,224 in 5 s before).
        assertThat(RETRY_ZERO.get()).as(r.stderr).isBetween(2, 5);
        assertThat(r.stderr).doesNotContain("error");
    }

    @Test
    void retryAfterZeroDoesNotHammerTheServer() throws Exception {
        Result r = run("--max-time", "2", url("/retry-after-zero"));
        assertThat(r.exit).as(r.stderr).isZero();
        assertThat(RETRY_AFTER_ZERO.get()).as(r.stderr).isBetween(2, 4);
    }

    @Test
    void aPostIsSentOnceAndExitsZeroWhenItsAnswerEnds() throws Exception {
        Result r = run("-d", "a b c", url("/answer"));
        assertThat(r.exit).as(r.stderr).isZero();
        assertThat(r.stdout).containsExactly(
                "{\"type\":\"message\",\"data\":\"{\\\"token\\\":\\\"hi\\\"}\",\"lastEventId\":\"\"}",
                "{\"type\":\"message\",\"data\":\"[DONE]\",\"lastEventId\":\"\"}");
        assertThat(ANSWERS.get()).isEqualTo(1);
        assertThat(r.stderr).contains("closed (200)").doesNotContain("error").doesNotContain("reconnecting");
    }

    @Test
    void untilDataExitsZeroAfterThatEventEvenIfTheServerNeverEnds() throws Exception {
        Result r = run("-X", "POST", "-d", "a b c", "--until-data", "[DONE]", url("/never-ends"));
        assertThat(r.exit).as(r.stderr).isZero();
        assertThat(r.stdout).containsExactly("{\"type\":\"message\",\"data\":\"a\",\"lastEventId\":\"\"}",
                "{\"type\":\"message\",\"data\":\"[DONE]\",\"lastEventId\":\"\"}");
        assertThat(r.stderr).contains("closed (200)").doesNotContain("error");
    }

    @Test
    void aHostileErrorBodyCannotDriveTheTerminal() throws Exception {
        Result r = run(url("/hostile-error"));
        assertThat(r.exit).isEqualTo(1);
        assertNoTerminalControls(r.stderr);
        assertThat(r.stderr).contains("403").contains("\\u001b[2J").contains("\\u001b]0;pwned\\u0007")
                .contains("\\u009b31m").contains("\\u202e");
        assertThat(r.stderr.lines().filter(l -> l.startsWith("sse-cat: closed"))).as("a faked line").hasSize(1);
    }

    @Test
    void aHostileHeaderCannotDriveTheTerminal() throws Exception {
        // java.net.http refuses the ESC and BEL, and its error names the header value: that message reaches stderr.
        Result r = run("--no-reconnect", url("/hostile-header"));
        assertThat(r.exit).as(r.stderr).isEqualTo(1);
        assertNoTerminalControls(r.stderr);
        assertThat(r.stderr).contains("x=\\u001b]0;pwned\\u0007\\u001b[2J");
    }

    @Test
    void aHeaderWithC1ControlsIsPrintedEscaped() throws Exception {
        // Bytes 0x80-0xFF are legal (obs-text) in a header value, so this one opens the stream and is printed.
        Result r = run("--no-reconnect", url("/c1-header"));
        assertThat(r.exit).as(r.stderr).isZero();
        assertNoTerminalControls(r.stderr);
        assertThat(r.stderr).contains("open: 200 text/event-stream; x=\\u009b2J\\u0085");
    }

    private static void assertNoTerminalControls(String stderr) {
        String lines = stderr.replace("\n", "");
        assertThat(lines.chars().filter(c -> c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x202e))
                .as("raw control characters on stderr: %s", stderr.replace("\u001b", "<ESC>")).isEmpty();
    }

    @Test
    void badUsageExitsTwo() throws Exception {
        Result r = run("--max-events", "many", url("/events"));
        assertThat(r.exit).isEqualTo(2);
        assertThat(r.stderr).contains("--max-events");
        assertThat(run().exit).isEqualTo(2);
    }

    @Test
    void helpExitsZero() throws Exception {
        Result r = run("--help");
        assertThat(r.exit).isZero();
        assertThat(String.join("\n", r.stdout)).contains("--no-reconnect").contains("--max-events");
    }
}
