package dev.sse.examples.boot;

import dev.sse.examples.shared.PublishContractTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** Publishing's HTTP contract ({@link PublishContractTest}) on the Spring Boot demo: embedded Tomcat. */
class BootPublishContractTest extends PublishContractTest {

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
}
