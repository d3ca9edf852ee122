package dev.sse.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.Hub;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
