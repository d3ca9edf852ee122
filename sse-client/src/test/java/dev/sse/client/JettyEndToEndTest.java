package dev.sse.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.EventChannel;
import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.servlet.SseServlet;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The client against the library's own SseServlet on embedded Jetty 12, over HTTP/1.1 and h2c. */
class JettyEndToEndTest {

    private Server server;
    private SseClient client;
    private Hub hub;
    private final BlockingQueue<String> seen = new LinkedBlockingQueue<>();

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close();
        }
        if (hub != null) {
            hub.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    private URI start(SseServlet servlet) throws Exception {
        server = new Server();
        HttpConfiguration config = new HttpConfiguration();
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(config),
                new HTTP2CServerConnectionFactory(config));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        Filter recordProtocol = (request, response, chain) -> {
            HttpServletRequest http = (HttpServletRequest) request;
            seen.add(http.getProtocol() + " " + http.getHeader("Last-Event-ID"));
            chain.doFilter(request, response);
        };
        context.addFilter(new FilterHolder(recordProtocol), "/*", EnumSet.of(DispatcherType.REQUEST));
        ServletHolder holder = new ServletHolder("sse", servlet);
        holder.setAsyncSupported(true);
        context.addServlet(holder, "/events");
        server.setHandler(context);
        server.start();
        return URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/events");
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within 10 s: " + what);
            }
            TimeUnit.MILLISECONDS.sleep(5); // polling with a deadline
        }
    }

    @ParameterizedTest
    @EnumSource(HttpClient.Version.class)
    void resumesAfterTheServerDropsTheStreamWithNothingLostOrDoubled(HttpClient.Version version) throws Exception {
        hub = Hub.create();
        URI uri = start(SseServlet.builder().hub(hub).build());
        HttpClient http = HttpClient.newBuilder().version(version).build();
        Recorder recorder = new Recorder();
        client = SseClient.builder(uri).httpClient(http)
                .retryPolicy(RetryPolicy.builder().baseDelay(Duration.ofMillis(20)).minDelay(Duration.ofMillis(20))
                        .jitter(0).build())
                .start(recorder);
        await("the first stream registered", () -> hub.channels().size() == 1);
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 50; i++) {
            ids.add(hub.broadcast(SseEvent.of("n", "" + i)));
        }
        for (int i = 1; i <= 50; i++) {
            MessageEvent e = recorder.takeEvent();
            assertThat(e.data()).isEqualTo("" + i);
            assertThat(e.type()).isEqualTo("n");
            assertThat(e.lastEventId()).isEqualTo(ids.get(i - 1));
        }
        hub.channels().forEach(EventChannel::close);
        for (int i = 51; i <= 100; i++) {
            hub.broadcast(SseEvent.of("n", "" + i)); // some while disconnected: they come from the history
        }
        for (int i = 51; i <= 100; i++) {
            assertThat(recorder.takeEvent().data()).isEqualTo("" + i);
        }
        assertThat(recorder.events.poll(300, TimeUnit.MILLISECONDS)).as("a doubled event").isNull();
        String protocol = version == HttpClient.Version.HTTP_2 ? "HTTP/2.0" : "HTTP/1.1";
        assertThat(Recorder.take(seen, "first request")).isEqualTo(protocol + " null");
        assertThat(Recorder.take(seen, "second request")).isEqualTo(protocol + " " + ids.get(49));
    }
}
