package dev.sse.spring.boot;

import dev.sse.core.DataCodec;
import dev.sse.jackson.JacksonCodec;
import dev.sse.jackson2.Jackson2Codec;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A {@link DataCodec} bean over the application's own JSON mapper, so typed events are written as the rest of the
 * application writes JSON: Jackson 3's {@code JsonMapper} (Boot 4) with {@code dev.sse:sse-jackson} on the class path,
 * else Jackson 2's {@code ObjectMapper} (Boot 3) with {@code dev.sse:sse-jackson2}. An application's own
 * {@code DataCodec} bean wins.
 *
 * <pre>{@code
 * @Autowired DataCodec json;
 * hub.broadcast(json.event("price", price));
 * }</pre>
 */
@AutoConfiguration(afterName = {"org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration",
        "org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration"})
public class SseDataCodecAutoConfiguration {

    /** Jackson 3, preferred when both are present. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"dev.sse.jackson.JacksonCodec", "tools.jackson.databind.json.JsonMapper"})
    static class Jackson3 {
        @Bean
        @ConditionalOnMissingBean(DataCodec.class)
        @ConditionalOnBean(type = "tools.jackson.databind.json.JsonMapper")
        DataCodec sseDataCodec(tools.jackson.databind.json.JsonMapper mapper) {
            return JacksonCodec.of(mapper);
        }
    }

    /** Jackson 2, when Jackson 3's codec is not there. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"dev.sse.jackson2.Jackson2Codec", "com.fasterxml.jackson.databind.ObjectMapper"})
    static class Jackson2 {
        @Bean
        @ConditionalOnMissingBean(DataCodec.class)
        @ConditionalOnBean(type = "com.fasterxml.jackson.databind.ObjectMapper")
        DataCodec sseDataCodecJackson2(com.fasterxml.jackson.databind.ObjectMapper mapper) {
            return Jackson2Codec.of(mapper);
        }
    }
}
