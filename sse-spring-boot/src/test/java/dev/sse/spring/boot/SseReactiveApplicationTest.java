package dev.sse.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.HubListener;
import dev.sse.core.SseEvent;
import dev.sse.webflux.SseStreams;
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
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * A real reactive Boot application on Reactor Netty with the starter and sse-webflux: the hub at {@code sse.path},
 * a controller's per-request stream, meters, and streams ended with the farewell before Netty's graceful shutdown.
 */
class SseReactiveApplicationTest {

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
    void theHubStreamsAtSsePathOnNettyAndTheActuatorCountsTheStream() throws Exception {
        app = start("sse.path=/updates", "sse.retry=2s");
        CountDownLatch opened = opens(1);
        RawSseClient client = connect("/updates");
        String head = client.awaitContains("retry: 2000\n\n", WAIT);
        assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("Content-Type: text/event-stream");
        assertThat(opened.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

        app.getBean(Hub.class).broadcast(SseEvent.of("greeting", "hello"));
        client.awaitContains("event: greeting\ndata: hello\n\n", WAIT);

        HttpResponse<String> metric = http.send(HttpRequest.newBuilder(
                        uri("/actuator/metrics/sse.connections.active?tag=hub:events")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metric.statusCode()).as(metric.body()).isEqualTo(200);
        assertThat(metric.body()).containsPattern("\"value\":1(\\.0)?[,}]");
    }

    @Test
    void ssePublishOpenLetsAPostOnSsePathBroadcast() throws Exception {
        app = start("sse.publish=open");
        CountDownLatch opened = opens(1);
        RawSseClient client = connect("/events");
        assertThat(opened.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        HttpResponse<String> posted = http.send(HttpRequest.newBuilder(uri("/events?event=note"))
                .POST(HttpRequest.BodyPublishers.ofString("hi")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
        client.awaitContains("event: note\ndata: hi\n\n", WAIT);
    }

    @Test
    void aControllerAnswersWithItsOwnStream() throws Exception {
        app = start();
        RawSseClient client = RawSseClient.post(port(), "/chat", "hi");
        clients.add(client);
        String seen = client.awaitEnd(WAIT);
        assertThat(seen).startsWith("HTTP/1.1 200").contains("data: you said hi\n\n").contains("event: done\n");
    }

    @Test
    void stoppingEndsOpenStreamsWithTheFarewellBeforeNettyStops() throws Exception {
        app = start();
        CountDownLatch opened = opens(3);
        List<RawSseClient> three = List.of(connect("/events"), connect("/events"), connect("/events"));
        assertThat(opened.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        long started = System.nanoTime();
        app.close();
        app = null;
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        for (RawSseClient c : three) {
            assertThat(c.awaitEnd(WAIT)).contains("event: bye\ndata:\n\n");
        }
    }

    private ConfigurableApplicationContext start(String... more) {
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.REACTIVE).properties(
                "server.port=0",
                "server.address=127.0.0.1",
                "server.shutdown=graceful",
                "spring.main.banner-mode=off",
                "management.endpoints.web.exposure.include=metrics",
                "sse.drain-window=200ms",
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

    private RawSseClient connect(String path) throws Exception {
        RawSseClient c = new RawSseClient(port(), path);
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
    static class App {
        @org.springframework.context.annotation.Bean
        ChatController chatController(SseStreams streams) {
            return new ChatController(streams);
        }
    }

    @RestController
    static class ChatController {
        private final SseStreams streams;

        ChatController(SseStreams streams) {
            this.streams = streams;
        }

        @PostMapping("/chat")
        Mono<Void> chat(ServerWebExchange exchange) {
            return exchange.getRequest().getBody().reduce(new StringBuilder(), (b, buf) -> {
                b.append(buf.toString(java.nio.charset.StandardCharsets.UTF_8));
                org.springframework.core.io.buffer.DataBufferUtils.release(buf);
                return b;
            }).defaultIfEmpty(new StringBuilder()).flatMap(text -> streams.open(exchange, stream -> {
                stream.send(SseEvent.data("you said " + text));
                stream.complete(SseEvent.of("done", ""));
            }));
        }
    }
}
