package dev.sse.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract every runtime adapter of dev.sse keeps, over a real socket with the bytes on the wire checked. An
 * adapter module extends it in its tests and returns its {@link AdapterFixture}:
 *
 * <pre>{@code
 * class JettyAdapterContractTest extends AdapterContractTest {
 *     protected AdapterFixture fixture() { return new JettyTckFixture(); }
 * }
 * }</pre>
 *
 * Every test starts its own server and hub and stops both; each is bounded to seconds.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
public abstract class AdapterContractTest {

    /** How long a test waits for something that should happen at once on a loopback socket. */
    static final Duration PROMPTLY = Duration.ofSeconds(5);

    private final List<AutoCloseable> cleanup = new ArrayList<>();

    /** Subclasses are the adapters' tests. */
    protected AdapterContractTest() {
    }

    /**
     * The runtime under test.
     *
     * @return the fixture; the kit calls it once per test
     */
    protected abstract AdapterFixture fixture();

    /** Stops what a test started, the newest first. */
    @AfterEach
    final void stopEverything() throws Exception {
        Exception first = null;
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            try {
                cleanup.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        cleanup.clear();
        if (first != null) {
            throw first;
        }
    }

    // ---- the contract ---------------------------------------------------------------------------------------------

    @Test
    void headersAndFirstBytesAreFlushedBeforeAnyEvent() throws Exception {
        Hub hub = hub(Hub.builder().keepAlive(Duration.ofMinutes(5)));
        RunningServer server = start(app(hub).setting("retry", "2500ms"));

        try (WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH)) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            assertThat(client.header("Content-Type")).startsWith("text/event-stream");
            assertThat(client.header("Cache-Control")).contains("no-cache");
            assertThat(client.awaitBodyContaining("retry: 2500\n\n", PROMPTLY)).isEqualTo("retry: 2500\n\n");
        }
    }

    @Test
    void multiLineDataIdsAndTypesAreFramedExactly() throws Exception {
        Hub hub = hub(Hub.builder().keepAlive(Duration.ofMinutes(5)));
        RunningServer server = start(app(hub));

        try (WireClient client = WireClient.get(server.port(), TckApp.EVENTS_PATH)) {
            assertThat(client.awaitHeaders(PROMPTLY)).isEqualTo(200);
            awaitChannels(hub, 1);
            hub.broadcast(SseEvent.builder().id("7").event("price").data("line one\nline two").build());
            hub.broadcast(SseEvent.builder().id("8").data("plain").build());

            String body = client.awaitBodyContaining("data: plain\n\n", PROMPTLY);
            assertThat(body).endsWith("id: 7\nevent: price\ndata: line one\ndata: line two\n\n"
                    + "id: 8\ndata: plain\n\n");
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    /** Builds a hub the test owns; it is closed after the server stops. */
    final Hub hub(Hub.Builder builder) {
        Hub hub = builder.build();
        cleanup.add(hub);
        return hub;
    }

    final AppSpec app(Hub hub) {
        return new AppSpec(hub);
    }

    final RunningServer start(AppSpec spec) throws Exception {
        RunningServer server = fixture().start(spec.build());
        cleanup.add(server);
        return server;
    }

    /** Waits until the hub holds {@code n} channels, so that a broadcast reaches the stream just opened. */
    static void awaitChannels(Hub hub, int n) throws InterruptedException {
        long deadline = System.nanoTime() + PROMPTLY.toNanos();
        while (hub.channelCount() != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the hub has " + hub.channelCount() + " channels, expected " + n);
            }
            Thread.sleep(5);
        }
    }

    /** A {@link TckApp} being put together by a test. */
    static final class AppSpec {
        private final Hub hub;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private StreamHandler streams = (stream, query) -> stream.complete();
        private RequestCheck check;

        AppSpec(Hub hub) {
            this.hub = hub;
        }

        AppSpec setting(String name, String value) {
            settings.put(name, value);
            return this;
        }

        AppSpec streams(StreamHandler handler) {
            this.streams = handler;
            return this;
        }

        AppSpec check(RequestCheck requestCheck) {
            this.check = requestCheck;
            return this;
        }

        TckApp build() {
            return new TckApp(hub, settings, streams, check);
        }
    }
}
