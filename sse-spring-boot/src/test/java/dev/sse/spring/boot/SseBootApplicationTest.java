package dev.sse.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.HubListener;
import dev.sse.core.SseEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * A real Boot application on embedded Tomcat, with the starter's auto-configuration and no SSE code but a
 * {@code hub.broadcast} in a controller: streams to raw sockets, reports through the actuator, stops quickly.
 */
class SseBootApplicationTest {

    private static final Logger LOG = LoggerFactory.getLogger(SseBootApplicationTest.class);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<RawSseClient> clients = new ArrayList<>();
    private ConfigurableApplicationContext app;

    @AfterEach
    void tearDown() throws Exception {
        for (RawSseClient c : clients) {
            c.close();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void aControllersBroadcastReachesARawSocketClientAndTheActuatorCountsTheStream() throws Exception {
        app = start();
        CountDownLatch opened = opens(1);
        RawSseClient client = connect();
        String head = client.awaitContains("\r\n\r\n", WAIT);
        assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("Content-Type: text/event-stream");
        assertThat(opened.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

        HttpResponse<String> published = http.send(HttpRequest.newBuilder(uri("/publish"))
                .POST(HttpRequest.BodyPublishers.ofString("hello")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(published.statusCode()).isEqualTo(200);
        client.awaitContains("event: greeting\ndata: hello\n\n", WAIT);

        HttpResponse<String> metric = http.send(HttpRequest.newBuilder(
                        uri("/actuator/metrics/sse.connections.active?tag=hub:events")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metric.statusCode()).as(metric.body()).isEqualTo(200);
        assertThat(metric.body()).contains("\"name\":\"sse.connections.active\"").containsPattern("\"value\":1(\\.0)?[,}]");
    }

    @Test
    void oneClientBeyondSseMaxConnectionsPerClientGets429WithRetryAfter() throws Exception {
        app = start("sse.max-connections-per-client=1", "sse.overload-retry=4s");
        CountDownLatch opened = opens(1);
        connect().awaitContains("\r\n\r\n", WAIT);
        assertThat(opened.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        String refused = connect().awaitEnd(WAIT);
        assertThat(refused).startsWith("HTTP/1.1 429").containsIgnoringCase("Retry-After: 4")
                .contains("{\"error\":\"");
        assertThat(app.getBean(Hub.class).channelCount()).isEqualTo(1);
    }

    @Test
    void stoppingWithAHundredOpenStreamsTakesLessThanFiveSeconds() throws Exception {
        app = start();
        stopWithAHundredStreams("starter");
    }

    @Test
    void theReadmeRecipeWithoutTheStarterAlsoStopsAHundredStreamsInLessThanFiveSeconds() throws Exception {
        app = new SpringApplicationBuilder(RecipeApp.class).properties(
                "server.port=0",
                "server.address=127.0.0.1",
                "server.shutdown=graceful",
                "spring.main.banner-mode=off",
                "sse.enabled=false").run();
        assertThat(app.getBeansOfType(SseProperties.class)).isEmpty();
        stopWithAHundredStreams("recipe");
    }

    private void stopWithAHundredStreams(String what) throws Exception {
        int streams = 100;
        CountDownLatch opened = opens(streams);
        for (int i = 0; i < streams; i++) {
            connect();
        }
        assertThat(opened.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("all streams open").isTrue();
        for (RawSseClient c : clients) {
            c.awaitContains("\r\n\r\n", WAIT);
        }

        long start = System.nanoTime();
        app.close();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        LOG.info("{}: stopped with {} open streams in {} ms", what, streams, took.toMillis());
        System.out.println("STOP-TIME " + what + " " + streams + " streams: " + took.toMillis() + " ms");

        assertThat(took).isLessThan(Duration.ofSeconds(5));
        for (RawSseClient c : clients) {
            assertThat(c.awaitEnd(Duration.ofSeconds(2))).contains("event: bye\ndata:\n\n");
        }
    }

    private ConfigurableApplicationContext start(String... more) {
        return new SpringApplicationBuilder(App.class).properties(
                "server.port=0",
                "server.address=127.0.0.1",
                "server.shutdown=graceful",
                "spring.main.banner-mode=off",
                "management.endpoints.web.exposure.include=metrics",
                "sse.farewell-event=bye").properties(more).run();
    }

    private CountDownLatch opens(int n) {
        CountDownLatch latch = new CountDownLatch(n);
        app.getBean(Hub.class).addListener(new HubListener() {
            @Override
            public void onOpen(EventChannel channel) {
                latch.countDown();
            }
        });
        return latch;
    }

    private RawSseClient connect() throws Exception {
        RawSseClient c = new RawSseClient(port(), "/events");
        clients.add(c);
        return c;
    }

    private int port() {
        return Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(PublishController.class)
    static class App {
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(RecipeConfiguration.class)
    static class RecipeApp {
    }

    @RestController
    static class PublishController {
        private final Hub hub;

        PublishController(Hub hub) {
            this.hub = hub;
        }

        @PostMapping("/publish")
        String publish(@RequestBody String body) {
            return hub.broadcast(SseEvent.of("greeting", body));
        }
    }
}
