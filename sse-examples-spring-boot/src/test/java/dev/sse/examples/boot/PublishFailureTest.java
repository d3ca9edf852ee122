package dev.sse.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.Hub;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The publish path's answers to the failures of issue 15, as the Jetty demo gives them, on an application of its own
 * (one test closes its notification hub).
 */
class PublishFailureTest {

    private static ConfigurableApplicationContext app;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        app = SpringApplication.run(DemoApplication.class, "--server.port=0", "--server.address=127.0.0.1");
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    private static int port() {
        return Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
    }

    @Test
    void malformedChunkedBodyIsA400NotA408() throws Exception {
        try (Socket s = new Socket("127.0.0.1", port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("POST /api/v1/notifications HTTP/1.1\r\nHost: localhost\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\nworld\r\n0\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            // Tomcat fails the request itself, with Spring's JSON error body; the status is what the demo's is.
            assertThat(all).startsWith("HTTP/1.1 400 ");
            assertThat(all).containsIgnoringCase("content-type: application/json");
        }
    }

    @Test
    void aBroadcastThatFailsIsA503WithRetryAfterNotAnEmpty200() throws Exception {
        app.getBean("notifications", Hub.class).close();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port()
                + "/api/v1/notifications")).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(r.body()).isEqualTo("{\"error\":\"the server is shutting down\"}");
    }
}
