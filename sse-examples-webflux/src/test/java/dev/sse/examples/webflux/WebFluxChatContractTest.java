package dev.sse.examples.webflux;

import dev.sse.examples.shared.ChatContractTest;
import dev.sse.examples.shared.ChatGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The demos' shared contract ({@link ChatContractTest}) on the WebFlux demo: Reactor Netty. */
class WebFluxChatContractTest extends ChatContractTest {

    private static ConfigurableApplicationContext app;

    @BeforeAll
    static void start() {
        app = SpringApplication.run(DemoApplication.class, "--server.port=0", "--server.address=127.0.0.1");
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Override
    protected ChatGenerator generator() {
        return app.getBean(ChatGenerator.class);
    }

    @Override
    protected int port() {
        return Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
    }
}
