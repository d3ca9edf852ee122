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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the shaded jar, {@code target/sse-cat.jar}, as a user would, against a JDK HttpServer. */
class SseCatIT {

    private static HttpServer server;
    private static final CountDownLatch NEVER = new CountDownLatch(1);

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
        assertThat(r.stderr).containsPattern("retrying in \\d+ ms");
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
