package dev.sse.examples.boot;

import dev.sse.examples.shared.DemoContractTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The demos' shared contract ({@link DemoContractTest}) on the Spring Boot demo: embedded Tomcat. */
class BootDemoContractTest extends DemoContractTest {

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
