package dev.sse.examples;

import dev.sse.examples.shared.ChatContractTest;
import dev.sse.examples.shared.ChatGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The chat's HTTP contract ({@link ChatContractTest}) on the web.xml demo, embedded Jetty 12, as {@code main} runs it. */
class JettyChatContractTest extends ChatContractTest {

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

    @Override
    protected ChatGenerator generator() {
        return demo.streams().chat();
    }
}
