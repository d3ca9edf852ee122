package dev.sse.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.CloseReason;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import dev.sse.servlet.SseStreams;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.WebApplicationContext;

/**
 * Controllers that take an {@code SseStream} parameter, in a real Boot application on embedded Tomcat, read from raw
 * sockets. One application serves the tests but the shutdown one, which stops its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(OutputCaptureExtension.class)
class SseStreamControllerTest {

    private static final Logger LOG = LoggerFactory.getLogger(SseStreamControllerTest.class);
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** The keep-alive these tests give the streams' host through sse.streams.keep-alive (sse-servlet's is 15 s). */
    private static final String KEEP_ALIVE = "300ms";

    private final List<RawSseClient> clients = new ArrayList<>();
    private ConfigurableApplicationContext app;
    private ChatController chat;

    @BeforeAll
    void startApplication() {
        app = start();
        chat = app.getBean(ChatController.class);
    }

    @AfterAll
    void stopApplication() {
        if (app != null) {
            app.close();
        }
    }

    @BeforeEach
    void forgetEarlierCloses() {
        chat.closes.clear();
    }

    @AfterEach
    void closeClientsAndAwaitTheirStreamsEnds() throws Exception {
        for (RawSseClient c : clients) {
            c.close();
        }
        clients.clear();
        // A closed client is found at the next keep-alive: its close must not land in the next test's queue.
        Hub host = SseStreams.host(((WebApplicationContext) app).getServletContext());
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (host.channelCount() > 0) {
            assertThat(System.nanoTime()).as("streams of the last test still open").isLessThan(deadline);
            Thread.sleep(10); // polling a count under a deadline
        }
    }

    @Test
    void aControllerTakingAnSseStreamAnswersTokensThenATerminalEventAndSpringAddsNothing(CapturedOutput output)
            throws Exception {
        RawSseClient c = post("/chat", "tokens from a model");

        String response = c.awaitEnd(WAIT);
        assertThat(response).startsWith("HTTP/1.1 200").containsIgnoringCase("Content-Type: text/event-stream");
        assertThat(withoutKeepAlives(c.body())).isEqualTo("event: token\ndata: tokens\n\nevent: token\ndata: from\n\n"
                + "event: token\ndata: a\n\nevent: token\ndata: model\n\ndata: [DONE]\n\n");
        assertThat(chat.closes.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(CloseReason.COMPLETED);
        // The method returned before the tokens were made: Spring neither completed the response nor complained.
        assertThat(output.getAll()).doesNotContain(" ERROR ").doesNotContain("Exception");
    }

    @Test
    void aVoidMethodOfAPlainControllerTakingAnSseStreamRendersNoView(CapturedOutput output) throws Exception {
        RawSseClient c = post("/progress", "");

        c.awaitEnd(WAIT);
        assertThat(withoutKeepAlives(c.body())).isEqualTo("event: progress\ndata: 100\n\n");
        assertThat(output.getAll()).doesNotContain(" ERROR ").doesNotContain("Exception");
    }

    @Test
    void aClientResetEndsTheControllersStreamWithClientGoneAndStopsItsProducer() throws Exception {
        RawSseClient c = post("/endless", "");
        c.awaitContains("data: t2\n\n", WAIT);
        long reset = System.nanoTime();
        c.reset();

        assertThat(chat.closes.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(CloseReason.CLIENT_GONE);
        LOG.info("reset to onClose: {} ms", (System.nanoTime() - reset) / 1_000_000);
        // The producer is told once and stops: at most the token in flight is sent to the closed stream.
        assertThat(chat.sentAfterClose.get()).isLessThanOrEqualTo(1);
    }

    @Test
    void aControllerThatThrowsAfterItsStreamStartedEndsItWithAnErrorEventNotAnErrorPage(CapturedOutput output)
            throws Exception {
        RawSseClient c = post("/throws", "");

        String response = c.awaitEnd(WAIT);
        assertThat(response).startsWith("HTTP/1.1 200");
        assertThat(withoutKeepAlives(c.body()))
                .isEqualTo("data: partial\n\nevent: error\ndata: {\"error\":\"the stream failed\"}\n\n");
        assertThat(chat.closes.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(CloseReason.FAILED);
        assertThat(response).doesNotContain("secret detail");
        // Logged once by the starter, with the cause; the container and Boot's error page stay out of it.
        assertThat(output.getAll()).containsOnlyOnce("IllegalStateException: the model crashed: secret detail")
                .doesNotContain("Servlet.service()").doesNotContain("/error");
    }

    @Test
    void sseStreamsKeepAliveReachesTheHostOfControllerStreams() throws Exception {
        RawSseClient c = post("/silent", "");
        // sse-servlet's own keep-alive is 15 s: a comment within the wait is the property's.
        assertThat(c.awaitContains("\r\n\r\n:\n\n", WAIT)).startsWith("HTTP/1.1 200");
    }

    @Test
    void theActuatorCountsOpenControllerStreamsAndTheirEndsByReason() throws Exception {
        RawSseClient c = post("/silent", "");
        c.awaitContains("\r\n\r\n", WAIT);
        assertThat(metric("sse.streams.active")).containsPattern("\"value\":1(\\.0)?[,}]");

        double goneBefore = value(metric("sse.streams.closed?tag=reason:client_gone"));
        c.reset();
        assertThat(chat.closes.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(CloseReason.CLIENT_GONE);
        assertThat(metric("sse.streams.active")).containsPattern("\"value\":0(\\.0)?[,}]");
        assertThat(value(metric("sse.streams.closed?tag=reason:client_gone"))).isEqualTo(goneBefore + 1);
    }

    @Test
    void aStreamBeyondThePerClientCapIsAnswered429AndTheMethodIsNotCalled(CapturedOutput output) throws Exception {
        ConfigurableApplicationContext own = start("sse.streams.max-connections-per-client=1");
        try {
            ChatController ownChat = own.getBean(ChatController.class);
            RawSseClient first = RawSseClient.post(port(own), "/silent", "");
            clients.add(first);
            first.awaitContains("\r\n\r\n", WAIT);
            RawSseClient second = RawSseClient.post(port(own), "/silent", "");
            clients.add(second);

            String refused = second.awaitEnd(WAIT);
            assertThat(refused).startsWith("HTTP/1.1 429").containsIgnoringCase("Retry-After: ")
                    .contains("{\"error\":\"");
            assertThat(ownChat.calls.get()).as("handler calls").isEqualTo(1);
            assertThat(output.getAll()).doesNotContain(" ERROR ").doesNotContain("Servlet.service()");
        } finally {
            own.close();
        }
    }

    @Test
    void stoppingWithAHundredOpenControllerStreamsTakesLessThanFiveSeconds() throws Exception {
        ConfigurableApplicationContext own = start();
        ChatController ownChat = own.getBean(ChatController.class);
        int port = port(own);
        int streams = 100;
        List<RawSseClient> open = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            RawSseClient c = RawSseClient.post(port, "/silent", "");
            clients.add(c);
            open.add(c);
        }
        for (RawSseClient c : open) {
            c.awaitContains("\r\n\r\n", WAIT);
        }

        long start = System.nanoTime();
        own.close();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        LOG.info("stopped with {} open controller streams in {} ms", streams, took.toMillis());

        assertThat(took).isLessThan(Duration.ofSeconds(5));
        for (RawSseClient c : open) {
            assertThat(c.awaitEnd(Duration.ofSeconds(2))).endsWith("event: bye\ndata:\n\n");
        }
        List<CloseReason> reasons = new ArrayList<>();
        ownChat.closes.drainTo(reasons);
        assertThat(reasons).hasSize(streams).containsOnly(CloseReason.HUB_CLOSED);
    }

    private RawSseClient post(String path, String body) throws Exception {
        RawSseClient c = RawSseClient.post(port(app), path, body);
        clients.add(c);
        return c;
    }

    private String metric(String name) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port(app) + "/actuator/metrics/" + name)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    private static double value(String metric) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"value\":([0-9.]+)").matcher(metric);
        assertThat(m.find()).as(metric).isTrue();
        return Double.parseDouble(m.group(1));
    }

    private static String withoutKeepAlives(String body) {
        return body.replace(":\n\n", "");
    }

    private static int port(ConfigurableApplicationContext app) {
        return Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
    }

    private static ConfigurableApplicationContext start(String... more) {
        return new SpringApplicationBuilder(App.class).properties(
                "server.port=0",
                "server.address=127.0.0.1",
                "server.shutdown=graceful",
                "spring.main.banner-mode=off",
                "management.endpoints.web.exposure.include=metrics",
                "sse.farewell-event=bye",
                "sse.streams.keep-alive=" + KEEP_ALIVE).properties(more).run();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import({ChatController.class, ProgressController.class})
    static class App {
    }

    /** A {@code @Controller}, whose void methods would otherwise render a view named after the path. */
    @org.springframework.stereotype.Controller
    static class ProgressController {
        @PostMapping("/progress")
        void progress(SseStream stream) {
            stream.complete(SseEvent.of("progress", "100"));
        }
    }

    /** What an application writes: no SSE code but the stream parameter and what it sends. */
    @RestController
    static class ChatController {
        final BlockingQueue<CloseReason> closes = new LinkedBlockingQueue<>();
        final AtomicLong sentAfterClose = new AtomicLong();
        final AtomicLong calls = new AtomicLong();
        private final ScheduledExecutorService producer = Executors.newScheduledThreadPool(2);

        @PostMapping("/chat")
        void chat(@RequestBody String prompt, SseStream stream) {
            stream.onClose(closes::add);
            producer.execute(() -> {
                for (String token : prompt.split(" ")) {
                    stream.send(SseEvent.of("token", token));
                }
                stream.complete(SseEvent.data("[DONE]"));
            });
        }

        @PostMapping("/endless")
        void endless(SseStream stream) {
            AtomicLong n = new AtomicLong();
            AtomicReference<ScheduledFuture<?>> task = new AtomicReference<>();
            stream.onClose(reason -> {
                ScheduledFuture<?> t = task.get();
                if (t != null) {
                    t.cancel(false);
                }
                closes.add(reason);
            });
            task.set(producer.scheduleAtFixedRate(() -> {
                if (!stream.send(SseEvent.data("t" + n.incrementAndGet()))) {
                    sentAfterClose.incrementAndGet();
                }
            }, 0, 20, TimeUnit.MILLISECONDS));
            if (!stream.isOpen()) {
                task.get().cancel(false);
            }
        }

        @PostMapping("/throws")
        void throwsAfterStart(SseStream stream) {
            stream.onClose(closes::add);
            stream.send(SseEvent.data("partial"));
            throw new IllegalStateException("the model crashed: secret detail");
        }

        @PostMapping("/silent")
        void silent(SseStream stream) {
            calls.incrementAndGet();
            stream.onClose(closes::add);
        }

        @jakarta.annotation.PreDestroy
        void stopProducing() {
            producer.shutdownNow();
        }
    }
}
