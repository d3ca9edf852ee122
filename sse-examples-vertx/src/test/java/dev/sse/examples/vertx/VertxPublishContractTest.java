package dev.sse.examples.vertx;

import dev.sse.examples.shared.PublishContractTest;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The publishing endpoint's shared HTTP contract against the Vert.x demo. */
class VertxPublishContractTest extends PublishContractTest {

    private static VertxDemo demo;

    @BeforeAll
    static void start() throws Exception {
        demo = VertxDemo.start("127.0.0.1", 0, Set.of());
    }

    @AfterAll
    static void stop() throws Exception {
        demo.close();
    }

    @Override
    protected int port() {
        return demo.port();
    }
}
