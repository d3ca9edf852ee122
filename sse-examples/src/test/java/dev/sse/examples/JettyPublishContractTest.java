package dev.sse.examples;

import dev.sse.examples.shared.PublishContractTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Publishing's HTTP contract ({@link PublishContractTest}) on the web.xml demo, embedded Jetty 12. */
class JettyPublishContractTest extends PublishContractTest {

    private static DemoServer demo;

    @BeforeAll
    static void startDemo() throws Exception {
        demo = DemoServer.start(0);
    }

    @AfterAll
    static void stopDemo() {
        demo.stop();
    }

    @Override
    protected int port() {
        return demo.port();
    }
}
