package dev.sse.examples;

import dev.sse.examples.shared.DemoContractTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The demos' shared contract ({@link DemoContractTest}) on the web.xml demo, embedded Jetty 12. */
class JettyDemoContractTest extends DemoContractTest {

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
