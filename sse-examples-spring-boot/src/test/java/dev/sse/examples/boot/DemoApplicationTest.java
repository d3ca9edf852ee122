package dev.sse.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The demo's HTTP contract (see sse-examples/README.md), on Spring Boot, over real sockets. */
class DemoApplicationTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static ConfigurableApplicationContext app;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ExecutorService READERS = Executors.newCachedThreadPool();

    @BeforeAll
    static void start() {
        app = SpringApplication.run(DemoApplication.class, "--server.port=0", "--server.address=127.0.0.1");
    }

    @AfterAll
    static void stop() {
        app.close();
        READERS.shutdownNow();
    }

    @Test
    void thePageOfSseExamplesIsServedAtTheRoot() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("app.js");
        assertThat(get("/app.js").body()).contains("new EventSource('api/v1/sse')");
    }

    @Test
    void theGreetingIsPlainText() throws Exception {
        HttpResponse<String> greeting = get("/api/v1/");
        assertThat(greeting.statusCode()).isEqualTo(200);
        assertThat(greeting.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
    }

    @Test
    void theClockStreamsAnUpdateEverySecondWithAnId() throws Exception {
        String got = readStream("/api/v1/sse", "\n\n", null);
        assertThat(got).containsPattern("event: update\nid: \\d+\ndata: \\{\"time\":\"\\d\\d:\\d\\d:\\d\\d\",\"message\":\"[^\"]+\"}\n\n|"
                + "id: \\d+\nevent: update\ndata: \\{\"time\"");
    }

    @Test
    void aPostedNotificationReachesTheStreamAndTheStatsCountIt() throws Exception {
        CompletableFuture<String> stream = CompletableFuture.supplyAsync(() -> {
            try {
                return readStream("/api/v1/notifications", "data: Hello, tabs!\n\n", "event: info");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, READERS);
        String stats;
        long deadline = System.nanoTime() + WAIT.toNanos();
        do {
            stats = get("/api/v1/stats").body();
        } while (!stats.contains("\"notifications\":{\"connections\":1") && System.nanoTime() < deadline
                && !stream.isDone());
        assertThat(stats).contains("\"notifications\":{\"connections\":1");

        HttpResponse<String> posted = HTTP.send(HttpRequest.newBuilder(uri("/api/v1/notifications?event=info"))
                .POST(HttpRequest.BodyPublishers.ofString("Hello, tabs!")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).isEqualTo(202);
        assertThat(posted.body()).matches("\\{\"id\":\"\\d+\"}");
        assertThat(stream.get(WAIT.toSeconds(), TimeUnit.SECONDS)).contains("event: info");
    }

    @Test
    void theActuatorReportsBothHubs() throws Exception {
        HttpResponse<String> metric = get("/actuator/metrics/sse.connections.active");
        assertThat(metric.statusCode()).isEqualTo(200);
        assertThat(metric.body()).contains("\"clock\"").contains("\"notifications\"");
    }

    /** Reads a stream until {@code until} arrives (and {@code alsoWanted}, if given); then drops it. */
    private static String readStream(String path, String until, String alsoWanted) throws Exception {
        HttpResponse<InputStream> resp = HTTP.send(HttpRequest.newBuilder(uri(path)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(resp.headers().firstValue("Content-Type")).hasValue("text/event-stream;charset=utf-8");
        assertThat(resp.headers().firstValue("Cache-Control")).hasValue("no-cache");
        StringBuilder got = new StringBuilder();
        try (InputStream in = resp.body()) {
            byte[] buf = new byte[4096];
            while (got.indexOf(until) < 0 || (alsoWanted != null && got.indexOf(alsoWanted) < 0)) {
                int n = in.read(buf);
                if (n < 0) {
                    throw new IOException("stream ended; got: " + got);
                }
                got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
        }
        return got.toString();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port") + path);
    }
}
