package dev.sse.examples.boot;

import dev.sse.examples.shared.ChatContractTest;
import dev.sse.examples.shared.ChatGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The chat's HTTP contract ({@link ChatContractTest}) on the Spring Boot demo: embedded Tomcat, a controller. */
class BootChatContractTest extends ChatContractTest {

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
    protected int port() {
        return Integer.parseInt(app.getEnvironment().getProperty("local.server.port"));
    }

    @Override
    protected ChatGenerator generator() {
        return app.getBean(ChatGenerator.class);
    }
}
