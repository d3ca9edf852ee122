package dev.sse.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpRequest.BodyPublishers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Connect, reconnect, stop: statuses, content types, redirects, timeouts, backoff and close. */
class SseClientLifecycleTest {

    private final Recorder recorder = new Recorder();
    private SseClient client;
    private ScriptedServer server;

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static RetryPolicy fast() {
        return RetryPolicy.builder().baseDelay(Duration.ofMillis(10)).minDelay(Duration.ofMillis(10)).jitter(0)
                .build();
    }

    private static ScriptedServer.Script holdOpen() {
        return ex -> {
            ex.stream();
            ex.awaitClientClose(Duration.ofSeconds(20));
        };
    }

    private SseClient start(SseClient.Builder builder) {
        client = builder.start(recorder);
        return client;
    }

    @Test
    void requestsAskForAnEventStreamWithoutCaching() throws Exception {
        server = new ScriptedServer(holdOpen());
        start(SseClient.builder(server.uri()).header("X-Fixed", "f"));
        ScriptedServer.Request r = server.takeRequest();
        assertThat(r.method).isEqualTo("GET");
        assertThat(r.header("Accept")).isEqualTo("text/event-stream");
        assertThat(r.header("Cache-Control")).isEqualTo("no-cache");
        assertThat(r.header("X-Fixed")).isEqualTo("f");
        assertThat(r.header("Last-Event-ID")).isNull();
        assertThat(recorder.takeOpen()).isEqualTo(200);
    }

    @Test
    void reconnectSendsTheLastEventIdAndDropsTheUnfinishedEvent() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("id: 7\ndata: complete\n\nid: 8\ndata: unfinished\n");
        }, ex -> {
            ex.stream();
            ex.send("data: after\n\n");
            ex.awaitClientClose(Duration.ofSeconds(20));
        });
        start(SseClient.builder(server.uri()).lastEventId("3").retryPolicy(fast()));
        assertThat(server.takeRequest().header("Last-Event-ID")).isEqualTo("3");
        assertThat(server.takeRequest().header("Last-Event-ID")).isEqualTo("7");
        assertThat(recorder.takeEvent()).isEqualTo(MessageEvent.of("message", "complete", "7"));
        assertThat(recorder.takeEvent()).isEqualTo(MessageEvent.of("message", "after", "7"));
        assertThat(client.lastEventId()).isEqualTo("7");
    }

    @Test
    void anEmptyIdClearsTheLastEventIdSoNoHeaderIsSent() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("id: 7\ndata: a\n\nid:\n\n");
        }, holdOpen());
        start(SseClient.builder(server.uri()).retryPolicy(fast()));
        server.takeRequest();
        assertThat(server.takeRequest().headers).doesNotContainKey("last-event-id");
    }

    @Test
    void anIdWithoutDataStillMovesTheLastEventId() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("id: 9\n\n");
        }, holdOpen());
        start(SseClient.builder(server.uri()).retryPolicy(fast()));
        server.takeRequest();
        assertThat(server.takeRequest().header("Last-Event-ID")).isEqualTo("9");
        recorder.assertNoMoreEvents();
    }

    @Test
    void aNonAsciiIdIsNotSentMangled() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("id: é1\ndata: a\n\n");
        }, holdOpen());
        start(SseClient.builder(server.uri()).retryPolicy(fast()));
        assertThat(recorder.takeEvent().lastEventId()).isEqualTo("é1");
        server.takeRequest();
        assertThat(server.takeRequest().headers).doesNotContainKey("last-event-id");
    }

    @Test
    void aHeaderTheJdkRefusesIsFatalNotRetriedForEver() throws Exception {
        server = new ScriptedServer(holdOpen());
        start(SseClient.builder(server.uri()).headers(() -> Map.of("Connection", "keep-alive")).retryPolicy(fast()));
        SseException error = recorder.takeError();
        assertThat(error.willRetry()).isFalse();
        assertThat(error.getMessage()).contains("invalid request");
        assertThat(recorder.takeClosed()).isZero();
    }

    @Test
    void noContentStopsForGood() throws Exception {
        server = new ScriptedServer(ex -> ex.head(204));
        start(SseClient.builder(server.uri()).retryPolicy(fast()));
        assertThat(recorder.takeClosed()).isEqualTo(204);
        server.takeRequest();
        assertThat(server.requests.poll(1, TimeUnit.SECONDS)).as("a second request").isNull();
        assertThat(recorder.errors).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 503, 408, 429})
    void serverErrorsAndTooManyRequestsAreRetried(int status) throws Exception {
        server = new ScriptedServer(ex -> {
                    ex.head(status, "Content-Length: 4", "Content-Type: text/plain");
                    ex.send("busy");
                }, ex -> {
                    ex.stream();
                    ex.send("data: back\n\n");
                    ex.awaitClientClose(Duration.ofSeconds(20));
                });
        start(SseClient.builder(server.uri()).retryPolicy(fast()));
        // The whole declared body is sent: closing short of it lets the JDK fail the response before its status is
        // seen, depending on timing, which is not what this test is about.
        SseException error = recorder.takeError();
        assertThat(error.status()).isEqualTo(status);
        assertThat(error.willRetry()).isTrue();
        assertThat(recorder.takeEvent().data()).isEqualTo("back");
    }

    @Test
    void retryAfterInSecondsSetsTheWait() throws Exception {
        server = new ScriptedServer(ex -> ex.head(503, "Retry-After: 7", "Content-Length: 0"));
        start(SseClient.builder(server.uri()).retryPolicy(fast()));
        assertThat(recorder.takeError().retryDelay()).contains(Duration.ofSeconds(7));
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 401, 403, 404, 410})
    void clientErrorsAreFatalWithStatusAndBodyExcerpt(int status) throws Exception {
        server = new ScriptedServer(ex -> {
            ex.head(status, "Content-Type: application/json", "Content-Length: 17");
            ex.send("{\"error\":\"nope\"}\n");
        });
        start(SseClient.builder(server.uri()).retryPolicy(fast()));
        SseException error = recorder.takeError();
        assertThat(error.status()).isEqualTo(status);
        assertThat(error.willRetry()).isFalse();
        assertThat(error.bodyExcerpt()).isEqualTo("{\"error\":\"nope\"}");
        assertThat(error.getMessage()).contains(String.valueOf(status)).contains("nope");
        assertThat(recorder.takeClosed()).isEqualTo(status);
        assertThat(server.requests.poll(300, TimeUnit.MILLISECONDS)).isNotNull();
        assertThat(server.requests.poll(300, TimeUnit.MILLISECONDS)).as("a retry").isNull();
    }

    @ParameterizedTest
    @ValueSource(ints = {201, 202, 206})
    void otherSuccessStatusesAreFatal(int status) throws Exception {
        server = new ScriptedServer(ex -> ex.head(status, "Content-Type: text/event-stream", "Content-Length: 0"));
        start(SseClient.builder(server.uri()).retryPolicy(fast()));
        assertThat(recorder.takeError().status()).isEqualTo(status);
        assertThat(recorder.takeClosed()).isEqualTo(status);
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/event-stream", "Text/Event-Stream; charset=utf-8", "TEXT/EVENT-STREAM ;x=1"})
    void eventStreamContentTypeOpensWhateverItsCaseAndParameters(String type) throws Exception {
        server = new ScriptedServer(ex -> {
            ex.head(200, "Content-Type: " + type);
            ex.send("data: ok\n\n");
            ex.awaitClientClose(Duration.ofSeconds(20));
        });
        start(SseClient.builder(server.uri()));
        assertThat(recorder.takeEvent().data()).isEqualTo("ok");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Content-Type: text/plain", "Content-Type: application/json", "X-None: 1"})
    void otherOrMissingContentTypeIsFatal(String header) throws Exception {
        server = new ScriptedServer(ex -> {
            ex.head(200, header);
            ex.send("data: not a stream\n\n");
        });
        start(SseClient.builder(server.uri()).retryPolicy(fast()));
        SseException error = recorder.takeError();
        assertThat(error.status()).isEqualTo(200);
        assertThat(error.willRetry()).isFalse();
        assertThat(error.getMessage()).contains("not text/event-stream");
        assertThat(recorder.takeClosed()).isEqualTo(200);
        recorder.assertNoMoreEvents();
    }

    @ParameterizedTest
    @ValueSource(ints = {301, 302, 303, 307, 308})
    void redirectsAreFollowed(int status) throws Exception {
        server = new ScriptedServer(ex -> ex.head(status, "Location: /moved", "Content-Length: 0"), ex -> {
            ex.stream();
            ex.send("data: " + ex.request.target + "\n\n");
            ex.awaitClientClose(Duration.ofSeconds(20));
        });
        start(SseClient.builder(server.uri()));
        assertThat(recorder.takeEvent().data()).isEqualTo("/moved");
    }

    @Test
    void aTemporaryRedirectKeepsThePostAndItsBody() throws Exception {
        server = new ScriptedServer(ex -> ex.head(307, "Location: /moved", "Content-Length: 0"), holdOpen());
        start(SseClient.builder(server.uri()).method("POST", () -> BodyPublishers.ofString("q")));
        server.takeRequest();
        ScriptedServer.Request moved = server.takeRequest();
        assertThat(moved.method).isEqualTo("POST");
        assertThat(moved.body).isEqualTo("q");
    }

    @Test
    void seeOtherTurnsAPostIntoAGet() throws Exception {
        server = new ScriptedServer(ex -> ex.head(303, "Location: /moved", "Content-Length: 0"), holdOpen());
        start(SseClient.builder(server.uri()).method("POST", () -> BodyPublishers.ofString("q")));
        server.takeRequest();
        assertThat(server.takeRequest().method).isEqualTo("GET");
    }

    @Test
    void aRedirectToAnotherOriginDoesNotCarryCredentials() throws Exception {
        try (ScriptedServer other = new ScriptedServer(holdOpen())) {
            server = new ScriptedServer(ex -> ex.head(307, "Location: " + other.uri("/elsewhere"),
                    "Content-Length: 0"));
            start(SseClient.builder(server.uri()).header("Authorization", "Bearer secret").header("X-Keep", "1")
                    .headers(() -> Map.of("Cookie", "s=1")));
            ScriptedServer.Request first = server.takeRequest();
            assertThat(first.header("Authorization")).isEqualTo("Bearer secret");
            assertThat(first.header("Cookie")).isEqualTo("s=1");
            ScriptedServer.Request moved = other.takeRequest();
            assertThat(moved.target).isEqualTo("/elsewhere");
            assertThat(moved.header("X-Keep")).isEqualTo("1");
            assertThat(moved.headers).doesNotContainKeys("authorization", "cookie");
            assertThat(recorder.takeOpen()).isEqualTo(200);
            client.close();
        }
    }

    @Test
    void noResponseWithinTheConnectTimeoutIsRetried() throws Exception {
        server = new ScriptedServer(ex -> ex.awaitClientClose(Duration.ofSeconds(20)), holdOpen());
        start(SseClient.builder(server.uri()).connectTimeout(Duration.ofMillis(300)).retryPolicy(fast()));
        SseException error = recorder.takeError();
        assertThat(error.getMessage()).contains("connect timeout");
        assertThat(error.willRetry()).isTrue();
        assertThat(Recorder.take(server.clientClosed, "abandoned connection closed")).isZero();
        assertThat(recorder.takeOpen()).isEqualTo(200);
    }

    @Test
    void retryAfterAsAnHttpDateIsHonoured() {
        String inTenSeconds = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME
                .format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(10));
        java.net.http.HttpHeaders headers = java.net.http.HttpHeaders.of(Map.of("Retry-After",
                List.of(inTenSeconds)), (a, b) -> true);
        assertThat(Connector.retryAfter(headers)).isBetween(Duration.ofSeconds(8), Duration.ofSeconds(10));
        java.net.http.HttpHeaders junk = java.net.http.HttpHeaders.of(Map.of("Retry-After", List.of("soon")),
                (a, b) -> true);
        assertThat(Connector.retryAfter(junk)).isNull();
    }

    @Test
    void aRedirectLoopIsFatal() throws Exception {
        server = new ScriptedServer(ex -> ex.head(302,
                "Location: " + (ex.request.target.equals("/events") ? "/a" : "/events"), "Content-Length: 0"));
        start(SseClient.builder(server.uri()).retryPolicy(fast()));
        SseException error = recorder.takeError();
        assertThat(error.getMessage()).contains("redirect loop");
        assertThat(error.willRetry()).isFalse();
        assertThat(recorder.takeClosed()).isEqualTo(302);
    }

    @Test
    void aRedirectWithoutLocationIsFatal() throws Exception {
        server = new ScriptedServer(ex -> ex.head(301, "Content-Length: 0"));
        start(SseClient.builder(server.uri()).retryPolicy(fast()));
        SseException error = recorder.takeError();
        assertThat(error.getMessage()).contains("without a Location");
        assertThat(error.status()).isEqualTo(301);
    }

    @Test
    void idleTimeoutDropsASilentStreamAndReconnects() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: first\n\n");
            ex.awaitClientClose(Duration.ofSeconds(20));
        }, holdOpen());
        start(SseClient.builder(server.uri()).idleTimeout(Duration.ofMillis(300)).retryPolicy(fast()));
        assertThat(recorder.takeEvent().data()).isEqualTo("first");
        SseException error = recorder.takeError();
        assertThat(error.getMessage()).contains("idle timeout");
        assertThat(Recorder.take(server.clientClosed, "client close")).isEqualTo(0);
        server.takeRequest();
        server.takeRequest();
    }

    @Test
    void idleTimeoutDoesNotFireOnAStreamOfComments() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        server = new ScriptedServer(ex -> {
            ex.stream();
            for (int i = 0; i < 12; i++) {
                ex.send(": keep-alive\n");
                done.await(100, TimeUnit.MILLISECONDS); // pacing the server, not synchronising the test
            }
            ex.send("data: still here\n\n");
            ex.awaitClientClose(Duration.ofSeconds(20));
        });
        start(SseClient.builder(server.uri()).idleTimeout(Duration.ofMillis(400)).retryPolicy(fast()));
        assertThat(recorder.takeEvent().data()).isEqualTo("still here");
        assertThat(recorder.errors).isEmpty();
        assertThat(recorder.comments).hasSize(12);
    }

    @Test
    void backoffGrowsByTheMultiplierUpToTheCap() throws Exception {
        server = new ScriptedServer(ex -> ex.head(500, "Content-Length: 0"));
        start(SseClient.builder(server.uri()).retryPolicy(RetryPolicy.builder().baseDelay(Duration.ofMillis(10))
                .minDelay(Duration.ofMillis(10)).multiplier(2).maxDelay(Duration.ofMillis(50)).jitter(0).build()));
        List<Duration> delays = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            delays.add(recorder.takeError().retryDelay().orElseThrow());
        }
        assertThat(delays).containsExactly(Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(40),
                Duration.ofMillis(50), Duration.ofMillis(50));
    }

    @Test
    void backoffStartsAgainAfterAStableConnection() throws Exception {
        AtomicInteger n = new AtomicInteger();
        server = new ScriptedServer(ex -> {
            if (n.getAndIncrement() % 3 == 2) {
                ex.stream(); // opens, then ends at once: stable enough for resetAfter(0)
            } else {
                ex.head(500, "Content-Length: 0");
            }
        });
        start(SseClient.builder(server.uri()).retryPolicy(RetryPolicy.builder().baseDelay(Duration.ofMillis(10))
                .minDelay(Duration.ofMillis(10)).multiplier(2).jitter(0).resetAfter(Duration.ZERO).build()));
        List<Duration> delays = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            delays.add(recorder.takeWait());
        }
        // 500, 500, open-and-end (the count starts again), 500, 500, open-and-end
        assertThat(delays).containsExactly(Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(10),
                Duration.ofMillis(20), Duration.ofMillis(40), Duration.ofMillis(10));
    }

    @Test
    void maxAttemptsGivesUpWithAFatalError() throws Exception {
        server = new ScriptedServer(ex -> ex.head(503, "Content-Length: 0"));
        start(SseClient.builder(server.uri()).retryPolicy(RetryPolicy.builder().baseDelay(Duration.ofMillis(5))
                .minDelay(Duration.ofMillis(5)).jitter(0).maxAttempts(2).build()));
        assertThat(recorder.takeError().willRetry()).isTrue();
        assertThat(recorder.takeError().willRetry()).isTrue();
        SseException last = recorder.takeError();
        assertThat(last.willRetry()).isFalse();
        assertThat(last.getMessage()).contains("gave up after 2 attempts");
        assertThat(recorder.takeClosed()).isEqualTo(503);
        assertThat(server.drainRequests()).hasSize(3);
    }

    @Test
    void networkErrorsAreRetried() throws Exception {
        // No response at all, twice: the JDK may retry a GET once by itself.
        server = new ScriptedServer(ex -> { }, ex -> { }, holdOpen());
        start(SseClient.builder(server.uri()).retryPolicy(fast()));
        SseException error = recorder.takeError();
        assertThat(error.status()).isZero();
        assertThat(error.willRetry()).isTrue();
        assertThat(recorder.takeOpen()).isEqualTo(200);
    }

    @Test
    void closeDuringConnectCancelsItAndFreesTheSocket() throws Exception {
        CountDownLatch requested = new CountDownLatch(1);
        server = new ScriptedServer(ex -> {
            requested.countDown();
            ex.awaitClientClose(Duration.ofSeconds(20));
        });
        start(SseClient.builder(server.uri()));
        assertThat(requested.await(10, TimeUnit.SECONDS)).isTrue();
        client.close();
        assertThat(recorder.takeClosed()).isZero();
        assertThat(Recorder.take(server.clientClosed, "client close")).isZero();
        assertThat(recorder.errors).isEmpty();
    }

    @Test
    void closeDuringAStreamFreesTheSocketAndStopsEvents() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: one\n\n");
            ex.awaitClientClose(Duration.ofSeconds(20));
        });
        start(SseClient.builder(server.uri()));
        recorder.takeEvent();
        server.takeRequest();
        client.close();
        client.close();
        assertThat(recorder.takeClosed()).isZero();
        assertThat(Recorder.take(server.clientClosed, "client close")).isZero();
        assertThat(server.requests.poll(300, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void closeDuringABackoffWaitCancelsTheReconnect() throws Exception {
        server = new ScriptedServer(ex -> ex.head(503, "Content-Length: 0"));
        start(SseClient.builder(server.uri())
                .retryPolicy(RetryPolicy.builder().baseDelay(Duration.ofSeconds(2)).jitter(0).build()));
        assertThat(recorder.takeError().willRetry()).isTrue();
        long t0 = System.nanoTime();
        client.close();
        assertThat(recorder.takeClosed()).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
        server.takeRequest();
        assertThat(server.requests.poll(2500, TimeUnit.MILLISECONDS)).as("a reconnect after close").isNull();
    }

    @Test
    void aPostAllowedToReconnectSendsItsBodyAndFreshHeadersOnEveryAttempt() throws Exception {
        AtomicInteger tokens = new AtomicInteger();
        server = new ScriptedServer(ex -> ex.head(503, "Content-Length: 0"), holdOpen());
        start(SseClient.builder(server.uri())
                .method("POST", () -> BodyPublishers.ofString("{\"q\":1}"))
                .header("Content-Type", "application/json")
                .headers(() -> Map.of("Authorization", "Bearer t" + tokens.incrementAndGet()))
                .reconnect(true)
                .retryPolicy(fast()));
        ScriptedServer.Request first = server.takeRequest();
        ScriptedServer.Request second = server.takeRequest();
        assertThat(first.method).isEqualTo("POST");
        assertThat(first.body).isEqualTo("{\"q\":1}");
        assertThat(first.header("Authorization")).isEqualTo("Bearer t1");
        assertThat(second.method).isEqualTo("POST");
        assertThat(second.body).isEqualTo("{\"q\":1}");
        assertThat(second.header("Authorization")).isEqualTo("Bearer t2");
    }

    @Test
    void aListenerThatThrowsDoesNotStopTheStream() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: boom\n\ndata: fine\n\n");
            ex.awaitClientClose(Duration.ofSeconds(20));
        });
        Recorder throwing = new Recorder() {
            @Override
            public void onEvent(MessageEvent event) {
                super.onEvent(event);
                if (event.data().equals("boom")) {
                    throw new IllegalStateException("listener bug");
                }
            }
        };
        client = SseClient.builder(server.uri()).start(throwing);
        assertThat(throwing.takeEvent().data()).isEqualTo("boom");
        assertThat(throwing.takeEvent().data()).isEqualTo("fine");
    }

    /** Counts the requests that arrive within the window that starts now. */
    private static int requestsWithin(ScriptedServer server, Duration window) throws InterruptedException {
        long deadline = System.nanoTime() + window.toNanos();
        int n = 0;
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            if (server.requests.poll(left, TimeUnit.NANOSECONDS) != null) {
                n++;
            }
        }
        return n;
    }

    @Test
    void retryZeroDoesNotHammerTheServer() throws Exception {
        // Every stream says retry: 0 and ends at once, without an event: the floor, then the backoff from it.
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("retry: 0\n\n");
        });
        start(SseClient.builder(server.uri()));
        int requests = requestsWithin(server, Duration.ofSeconds(2));
        // 250 ms floor doubling: requests at 0, 0.25, >= 0.5, >= 1, >= 2 s. Without the floor: thousands.
        assertThat(requests).isBetween(2, 5);
        assertThat(recorder.takeWait()).isEqualTo(Duration.ofMillis(250));
        assertThat(recorder.takeWait()).isBetween(Duration.ofMillis(250), Duration.ofMillis(500));
        assertThat(recorder.errors).as("a routine end reported as an error").isEmpty();
    }

    @Test
    void retryAfterZeroOnA503DoesNotHammerTheServer() throws Exception {
        server = new ScriptedServer(ex -> ex.head(503, "Retry-After: 0", "Content-Length: 0"));
        start(SseClient.builder(server.uri()));
        int requests = requestsWithin(server, Duration.ofSeconds(2));
        // Retry-After: 0 no longer replaces the policy's own wait (1 s base, jitter 0.5), it only may lengthen it.
        assertThat(requests).isBetween(2, 4);
        assertThat(recorder.takeError().retryDelay().orElseThrow())
                .isBetween(Duration.ofMillis(500), Duration.ofSeconds(1));
    }

    @Test
    void retryZeroWithAnEventOnEveryStreamStillWaitsTheFloor() throws Exception {
        // Each stream delivers an event, so the backoff starts again each time: only the floor holds the client back.
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("retry: 0\ndata: tick\n\n");
        });
        start(SseClient.builder(server.uri()));
        int requests = requestsWithin(server, Duration.ofSeconds(2));
        assertThat(requests).isBetween(2, 9);
        assertThat(recorder.takeWait()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void aRetryAfterShorterThanTheBackoffDoesNotShortenIt() throws Exception {
        server = new ScriptedServer(ex -> ex.head(503, "Retry-After: 0", "Content-Length: 0"));
        start(SseClient.builder(server.uri()).retryPolicy(RetryPolicy.builder().baseDelay(Duration.ofMillis(40))
                .minDelay(Duration.ofMillis(10)).multiplier(2).jitter(0).build()));
        assertThat(recorder.takeWait()).isEqualTo(Duration.ofMillis(40));
        assertThat(recorder.takeWait()).isEqualTo(Duration.ofMillis(80));
    }

    @Test
    void aConnectionThatDeliveredEventsResetsTheBackoff() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: short but healthy\n\n");
        });
        start(SseClient.builder(server.uri()).retryPolicy(RetryPolicy.builder().baseDelay(Duration.ofMillis(20))
                .minDelay(Duration.ofMillis(10)).multiplier(2).jitter(0).build()));
        for (int i = 0; i < 4; i++) {
            assertThat(recorder.takeWait()).as("wait %d", i).isEqualTo(Duration.ofMillis(20));
        }
    }

    @Test
    void aRoutineStreamEndIsNotAnError() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: a\n\n");
        }, holdOpen());
        start(SseClient.builder(server.uri()).retryPolicy(fast()));
        assertThat(recorder.takeEvent().data()).isEqualTo("a");
        assertThat(Recorder.take(recorder.streamEnds, "stream end")).isEqualTo(Duration.ofMillis(10));
        assertThat(recorder.takeOpen()).isEqualTo(200);
        assertThat(recorder.takeOpen()).isEqualTo(200);
        assertThat(recorder.errors).isEmpty();
    }

    @Test
    void aPostIsNotSentAgainAfterItsAnswerEnds() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: token\n\ndata: [DONE]\n\n");
        });
        start(SseClient.builder(server.uri()).method("POST", () -> BodyPublishers.ofString("{\"q\":1}"))
                .retryPolicy(fast()));
        assertThat(recorder.takeEvent().data()).isEqualTo("token");
        assertThat(recorder.takeEvent().data()).isEqualTo("[DONE]");
        assertThat(recorder.takeClosed()).isEqualTo(200);
        assertThat(recorder.errors).isEmpty();
        assertThat(recorder.streamEnds).isEmpty();
        assertThat(server.takeRequest().method).isEqualTo("POST");
        assertThat(server.requests.poll(300, TimeUnit.MILLISECONDS)).as("the POST sent again").isNull();
    }

    @Test
    void aPostThatFailsIsNotSentAgainUnlessAllowed() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.head(503, "Content-Length: 4");
            ex.send("busy");
        }, holdOpen());
        start(SseClient.builder(server.uri()).method("POST", () -> BodyPublishers.ofString("q")).retryPolicy(fast()));
        SseException error = recorder.takeError();
        assertThat(error.status()).isEqualTo(503);
        assertThat(error.willRetry()).isFalse();
        assertThat(error.getMessage()).contains("not sending the POST again");
        assertThat(recorder.takeClosed()).isEqualTo(503);
        server.takeRequest();
        assertThat(server.requests.poll(300, TimeUnit.MILLISECONDS)).as("the POST sent again").isNull();
    }

    @Test
    void aPostCutShortMidStreamIsNotSentAgain() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.head(200, "Content-Type: text/event-stream", "Transfer-Encoding: chunked");
            ex.send("9\r\ndata: a\n\n\r\n"); // one chunk, then the connection drops inside the chunked body
        });
        start(SseClient.builder(server.uri()).method("POST", () -> BodyPublishers.ofString("q")).retryPolicy(fast()));
        assertThat(recorder.takeEvent().data()).isEqualTo("a");
        SseException error = recorder.takeError();
        assertThat(error.willRetry()).isFalse();
        assertThat(recorder.takeClosed()).isEqualTo(200);
        server.takeRequest();
        assertThat(server.requests.poll(300, TimeUnit.MILLISECONDS)).as("the POST sent again").isNull();
    }

    @Test
    void aGetWithABodyIsSentOnceToo() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: a\n\n");
        });
        start(SseClient.builder(server.uri()).method("GET", () -> BodyPublishers.ofString("q")).retryPolicy(fast()));
        assertThat(recorder.takeClosed()).isEqualTo(200);
        server.takeRequest();
        assertThat(server.requests.poll(300, TimeUnit.MILLISECONDS)).as("sent again").isNull();
    }

    @Test
    void reconnectTrueFollowsAPostLikeAFeed() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("id: 1\ndata: a\n\n");
        }, holdOpen());
        start(SseClient.builder(server.uri()).method("POST", () -> BodyPublishers.ofString("q")).reconnect(true)
                .retryPolicy(fast()));
        server.takeRequest();
        ScriptedServer.Request again = server.takeRequest();
        assertThat(again.method).isEqualTo("POST");
        assertThat(again.body).isEqualTo("q");
        assertThat(again.header("Last-Event-ID")).isEqualTo("1");
        assertThat(recorder.errors).isEmpty();
    }

    @Test
    void reconnectFalseStopsAGetFeedAtItsEnd() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: a\n\n");
        });
        start(SseClient.builder(server.uri()).reconnect(false).retryPolicy(fast()));
        assertThat(recorder.takeClosed()).isEqualTo(200);
        server.takeRequest();
        assertThat(server.requests.poll(300, TimeUnit.MILLISECONDS)).as("sent again").isNull();
    }

    @Test
    void stopAfterEndsAtTheLastEventWithoutWaitingForTheServerOrReconnecting() throws Exception {
        server = new ScriptedServer(ex -> {
            ex.stream();
            ex.send("data: a\n\nid: 2\ndata: [DONE]\n\nid: 3\ndata: after\n\n");
            ex.awaitClientClose(Duration.ofSeconds(20)); // a server that never ends the stream itself
        });
        start(SseClient.builder(server.uri()).stopAfter(e -> e.data().equals("[DONE]")).retryPolicy(fast()));
        assertThat(recorder.takeEvent().data()).isEqualTo("a");
        assertThat(recorder.takeEvent().data()).isEqualTo("[DONE]");
        assertThat(recorder.takeClosed()).isEqualTo(200);
        assertThat(Recorder.take(server.clientClosed, "client close")).isZero();
        recorder.assertNoMoreEvents();
        assertThat(recorder.errors).isEmpty();
        assertThat(client.lastEventId()).isEqualTo("2");
        server.takeRequest();
        assertThat(server.requests.poll(300, TimeUnit.MILLISECONDS)).as("a reconnect").isNull();
    }

    @Test
    void builderRejectsBadArgumentsNamingTheField() {
        assertThatThrownBy(() -> SseClient.builder(java.net.URI.create("ftp://x/")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("uri ");
        SseClient.Builder b = SseClient.builder(java.net.URI.create("http://localhost/"));
        assertThatThrownBy(() -> b.lastEventId("a\nb")).hasMessageStartingWith("lastEventId ");
        assertThatThrownBy(() -> b.maxEventBytes(0)).hasMessageStartingWith("maxEventBytes ");
        assertThatThrownBy(() -> b.maxLineBytes(0)).hasMessageStartingWith("maxLineBytes ");
        assertThatThrownBy(() -> b.maxInFlight(0)).hasMessageStartingWith("maxInFlight ");
        assertThatThrownBy(() -> b.connectTimeout(Duration.ZERO)).hasMessageStartingWith("connectTimeout ");
        assertThatThrownBy(() -> b.idleTimeout(Duration.ofSeconds(-1))).hasMessageStartingWith("idleTimeout ");
        assertThatThrownBy(() -> b.method("GE T", null)).hasMessageStartingWith("method ");
        assertThatThrownBy(() -> b.header("Host", "x")).hasMessageStartingWith("header Host");
        assertThatThrownBy(() -> RetryPolicy.builder().jitter(2)).hasMessageStartingWith("jitter ");
        assertThatThrownBy(() -> RetryPolicy.builder().multiplier(0.5)).hasMessageStartingWith("multiplier ");
        assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(-1)).hasMessageStartingWith("maxAttempts ");
        assertThatThrownBy(() -> RetryPolicy.builder().minDelay(Duration.ZERO)).hasMessageStartingWith("minDelay ");
        assertThatThrownBy(() -> RetryPolicy.builder().maxDelay(Duration.ofMillis(100)).build())
                .hasMessageStartingWith("maxDelay ");
    }
}
