package dev.sse.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sse.core.DataCodec;
import dev.sse.jackson.JacksonCodec;
import dev.sse.jackson2.Jackson2Codec;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The application's own JSON mapper writes the typed events. */
class SseDataCodecAutoConfigurationTest {

    record Price(String currencyCode, double value) {
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SseDataCodecAutoConfiguration.class));

    /** Jackson 3 is Boot 4's; Boot 3 pins the Jackson 2 annotations that Jackson 3 cannot run with. */
    static boolean bootShipsJackson3() {
        return org.springframework.boot.SpringBootVersion.getVersion().startsWith("4.");
    }

    @Test
    @org.junit.jupiter.api.condition.EnabledIf("bootShipsJackson3")
    void theApplicationsJackson3MapperWritesTheEvents() {
        runner.withBean(tools.jackson.databind.json.JsonMapper.class, () -> tools.jackson.databind.json.JsonMapper
                        .builder().propertyNamingStrategy(tools.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
                        .build())
                .run(ctx -> {
                    DataCodec json = ctx.getBean(DataCodec.class);
                    assertThat(json).isInstanceOf(JacksonCodec.class);
                    assertThat(json.encode(new Price("EUR", 1.5))).isEqualTo("{\"currency_code\":\"EUR\",\"value\":1.5}");
                });
    }

    @Test
    void theApplicationsJackson2MapperWritesTheEventsWhenThatIsTheOneItHas() {
        runner.withBean(com.fasterxml.jackson.databind.ObjectMapper.class, () -> new com.fasterxml.jackson.databind
                        .ObjectMapper().setPropertyNamingStrategy(
                                com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE))
                .run(ctx -> {
                    DataCodec json = ctx.getBean(DataCodec.class);
                    assertThat(json).isInstanceOf(Jackson2Codec.class);
                    assertThat(json.encode(new Price("EUR", 1.5))).isEqualTo("{\"currency_code\":\"EUR\",\"value\":1.5}");
                });
    }

    @Test
    void anApplicationsOwnCodecWinsAndNoMapperMeansNoCodec() {
        DataCodec own = Jackson2Codec.create();
        runner.withBean(DataCodec.class, () -> own)
                .withBean(com.fasterxml.jackson.databind.ObjectMapper.class,
                        com.fasterxml.jackson.databind.ObjectMapper::new)
                .run(ctx -> assertThat(ctx.getBean(DataCodec.class)).isSameAs(own));
        runner.run(ctx -> assertThat(ctx).doesNotHaveBean(DataCodec.class));
    }
}
