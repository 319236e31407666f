/**
 * JMH micro-benchmarks of the broker's hot paths: topic matching with 100k subscriptions, PUBLISH
 * encode and decode, fan-out encoding. Build with {@code mvn -B -ntp -pl bench -am -DskipTests
 * package}, then run all with {@code java -jar bench/target/simqtt-bench.jar} or one with {@code
 * java -jar bench/target/simqtt-bench.jar TopicMatch -f 1 -wi 2 -i 3}.
 */
package io.simqtt.bench.jmh;
