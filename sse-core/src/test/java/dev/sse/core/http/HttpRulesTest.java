package dev.sse.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The runtime-neutral rules on their own; sse-servlet's suites check the same answers over real sockets. */
class HttpRulesTest {

    private static final StreamRules STREAMS = StreamRules.builder().allowedTopics(List.of("news", "sport"))
            .allowedOrigins(List.of("https://app.example"), false).retry(Duration.ofSeconds(3), Duration.ZERO,
                    Duration.ofMillis(1500)).maxConnectionsPerClient(4).build();
    private static final PublishRules PUBLISH = new PublishRules(List.of(), false, null, "topic");

    @Test
    void malformedPercentEscapeInTheQueryIsA400NamingTheParameter() {
        Decision<StreamRules.Target> d = STREAMS.target(get("topic=news%2"));
        assertThat(d.accepted()).isFalse();
        assertThat(d.refusal().status()).isEqualTo(400);
        assertThat(d.refusal().bodyText())
                .isEqualTo("{\"error\":\"topic has a malformed percent-escape at index 4\",\"field\":\"topic\"}");
        assertThat(d.refusal().header("Content-Type")).isEqualTo("application/json;charset=utf-8");
        assertThat(d.refusal().header("Cache-Control")).isEqualTo("no-store");
    }

    @Test
    void rawNonAsciiInTheQueryIsRefusedRatherThanGuessedAt() {
        Decision<StreamRules.Target> d = STREAMS.target(get("topic=caf\u00e9"));
        assertThat(d.refusal().status()).isEqualTo(400);
        assertThat(d.refusal().bodyText()).contains("\"field\":\"topic\"").contains("percent-encoded UTF-8");
    }

    @Test
    void percentEncodedBytesThatAreNotUtf8AreRefusedNamingTheOffset() {
        Decision<StreamRules.Target> d = STREAMS.target(get("topic=%C3%28"));
        assertThat(d.refusal().bodyText()).contains("topic is not valid UTF-8 (bad byte sequence at byte offset 0)");
    }

    @Test
    void lastEventIdHeaderArrivingAsLatin1CharactersIsReDecodedAsUtf8() {
        String asContainersGiveIt = new String("caf\u00e9-7".getBytes(StandardCharsets.UTF_8),
                StandardCharsets.ISO_8859_1);
        Decision<StreamRules.Target> d = STREAMS.target(get(null, "Last-Event-ID", asContainersGiveIt));
        assertThat(d.value().lastEventId()).isEqualTo("caf\u00e9-7");
    }

    @Test
    void lastEventIdQueryParameterCountsOnlyWithoutTheHeader() {
        assertThat(STREAMS.target(get("lastEventId=42")).value().lastEventId()).isEqualTo("42");
        assertThat(STREAMS.target(get("lastEventId=42", "Last-Event-ID", "43")).value().lastEventId())
                .isEqualTo("43");
    }

    @Test
    void aTopicNotAllowedIs204WithNoBodySoTheBrowserStopsReconnecting() {
        Decision<StreamRules.Target> d = STREAMS.target(get("topic=news,secret"));
        assertThat(d.refusal().status()).isEqualTo(204);
        assertThat(d.refusal().bodyLength()).isZero();
        assertThat(STREAMS.target(get("topic=news,%20sport")).value().topics()).containsExactly("news", "sport");
    }

    @Test
    void aForeignPageMayNotOpenAStream() {
        Decision<Void> d = STREAMS.admitOrigin(get(null, "Origin", "https://evil.example"));
        assertThat(d.refusal().status()).isEqualTo(403);
        assertThat(d.refusal().headers().get(0)).isEqualTo(new Header("Vary", "Origin"));
        assertThat(d.refusal().bodyText()).isEqualTo(
                "{\"error\":\"origin https://evil.example is not allowed\",\"field\":\"Origin\"}");
        assertThat(STREAMS.admitOrigin(get(null, "Origin", "https://app.example")).headers()).containsExactly(
                new Header("Vary", "Origin"), new Header("Access-Control-Allow-Origin", "https://app.example"));
    }

    @Test
    void dnsRebindingPageMayReadItsOwnHostsStreamsButNeverPublishUnderADomainName() {
        RequestView rebound = request("POST", null, Map.of("origin", "http://victim.example:8080"),
                "victim.example", 8080);
        assertThat(STREAMS.admitOrigin(rebound).accepted()).isTrue();
        Decision<Void> post = PUBLISH.admitOrigin(rebound, "publish");
        assertThat(post.refusal().status()).isEqualTo(403);
        assertThat(post.refusal().bodyText())
                .isEqualTo("{\"error\":\"origin http://victim.example:8080 may not publish here\"}");
        RequestView local = request("POST", null, Map.of("origin", "http://127.0.0.1:8080"), "127.0.0.1", 8080);
        assertThat(PUBLISH.admitOrigin(local, "publish").accepted()).isTrue();
    }

    @Test
    void preflightAskingForAnUnlistedHeaderIsRefused() {
        HttpAnswer a = STREAMS.preflight(get(null, "Origin", "https://app.example",
                "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "X-Secret"),
                StreamRules.ALLOW);
        assertThat(a.status()).isEqualTo(403);
        assertThat(a.bodyText()).contains("header X-Secret is not allowed");
    }

    @Test
    void shedStreamIs200WithARetryLineAndNever503() {
        HttpAnswer a = STREAMS.shed();
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.header("Content-Type")).isEqualTo("text/event-stream;charset=utf-8");
        assertThat(a.header("X-Accel-Buffering")).isEqualTo("no");
        assertThat(a.bodyText()).isEqualTo("retry: 1500\n\n");
    }

    @Test
    void clientOverItsCapGets429WithRetryAfterRoundedUpToWholeSeconds() {
        HttpAnswer a = STREAMS.tooManyFromClient();
        assertThat(a.status()).isEqualTo(429);
        assertThat(a.header("Retry-After")).isEqualTo("2");
        assertThat(a.bodyText()).contains("\"field\":\"maxConnectionsPerClient\"").contains("has 4 streams");
    }

    @Test
    void userNamedLikeAnAddressDoesNotShareThatAddresssCount() {
        assertThat(StreamRules.clientKey("10.0.0.1", "10.0.0.9")).isNotEqualTo(StreamRules.clientKey(null,
                "10.0.0.1"));
    }

    @Test
    void eventNameWithALineFeedCannotInjectFields() {
        Decision<PublishRules.Target> d = PUBLISH.target(get("event=a%0Aid:%201"));
        assertThat(d.refusal().status()).isEqualTo(400);
        assertThat(d.refusal().bodyText()).isEqualTo(
                "{\"error\":\"event must not contain CR, LF or NUL (found LF at index 1)\",\"field\":\"event\"}");
    }

    @Test
    void eventOrTopicGivenTwiceIsAmbiguousAndRefused() {
        assertThat(PUBLISH.target(get("topic=a&topic=b")).refusal().bodyText())
                .isEqualTo("{\"error\":\"topic must be given at most once\",\"field\":\"topic\"}");
    }

    @Test
    void emptyEventNameMeansMessage() {
        assertThat(PUBLISH.target(get("event=&topic=news")).value()).isEqualTo(new PublishRules.Target(null, "news"));
    }

    @Test
    void publishedIs202WithTheIdAndRefusalsCarryTheirRetryAfter() {
        assertThat(PublishRules.published("7").status()).isEqualTo(202);
        assertThat(PublishRules.published("7").bodyText()).isEqualTo("{\"id\":\"7\"}");
        assertThat(PublishRules.overloaded("busy").header("Retry-After")).isEqualTo("1");
        assertThat(PublishRules.unavailable("down").header("Retry-After")).isEqualTo("5");
        assertThat(PublishRules.bodyTooLarge(10).bodyText())
                .isEqualTo("{\"error\":\"body must be at most 10 bytes\",\"field\":\"body\"}");
    }

    @Test
    void loneSurrogateInAMessageIsEscapedAndNeverBecomesAQuestionMark() {
        assertThat(Json.quote("a\ud800b\u2028")).isEqualTo("\"a\\ud800b\\u2028\"");
        assertThat(HttpAnswer.error(400, "x", "\ud800").bodyText()).doesNotContain("?");
    }

    @Test
    void bodyThatIsNotUtf8IsA400NamingTheByteOffset() {
        byte[] bytes = {'o', 'k', (byte) 0xff};
        assertThat(RequestText.strictUtf8(bytes, 3, "body").refusal().bodyText()).isEqualTo(
                "{\"error\":\"body is not valid UTF-8 (bad byte sequence at byte offset 2)\",\"field\":\"body\"}");
    }

    private static RequestView get(String query, String... headers) {
        Map<String, String> h = new HashMap<>();
        for (int i = 0; i < headers.length; i += 2) {
            h.put(headers[i].toLowerCase(Locale.ROOT), headers[i + 1]);
        }
        return request("GET", query, h, "localhost", 8080);
    }

    private static RequestView request(String method, String query, Map<String, String> headers, String host,
                                       int port) {
        return new RequestView() {
            @Override
            public String method() {
                return method;
            }

            @Override
            public String rawQuery() {
                return query;
            }

            @Override
            public String header(String name) {
                return headers.get(name.toLowerCase(Locale.ROOT));
            }

            @Override
            public String remoteAddress() {
                return "127.0.0.1";
            }

            @Override
            public String scheme() {
                return "http";
            }

            @Override
            public String host() {
                return host;
            }

            @Override
            public int port() {
                return port;
            }
        };
    }
}
