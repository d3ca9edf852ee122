package dev.sse.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The servlet declared in a real WEB-INF/web.xml, deployed as a web application on both containers. */
class WebXmlDeploymentTest {

    private static final Duration T = Duration.ofSeconds(5);

    @ParameterizedTest
    @ValueSource(strings = {"jetty", "tomcat"})
    void webXmlServletStreamsAndAppliesItsInitParams(String container) throws Exception {
        Supplier<ServerFixture> make = container.equals("jetty") ? JettyFixture::new : TomcatFixture::new;
        try (ServerFixture server = make.get()) {
            int port = server.startWebapp("src/test/resources/webapp");
            Hub hub = SseServlet.hub(server.servletContext(), "test.hub");
            // The listener asked first, before the servlet's init, and got the hub the servlet's init-params describe.
            assertThat(server.servletContext().getAttribute(StartupListener.SEEN)).isSameAs(hub);
            assertThat(hub.keepAliveInterval()).isEqualTo(Duration.ofMillis(200));
            try (SseClient c = SseClient.get(port, "/events").head(T)) {
                assertThat(c.status()).isEqualTo(200);
                assertThat(c.nextFrame(T)).isEqualTo("retry: 1500\n\n");
                long deadline = System.nanoTime() + T.toNanos();
                while (hub.subscriberCount("news") == 0) {
                    assertThat(System.nanoTime()).isLessThan(deadline);
                    Thread.onSpinWait();
                }
                String id = hub.broadcast("news", SseEvent.data("from the app"));
                assertThat(c.nextEvent(T)).isEqualTo("id: " + id + "\ndata: from the app\n\n");
            }
            server.close();
            // Built for the servlet, so the servlet shut it down.
            assertThat(hub.isClosed()).isTrue();
        }
    }
}
