use e2e_tests::stock_client::*;
use e2e_tests::{BrokerProcess, BrokerSetup};
use std::time::Duration;

#[test]
fn probe() {
    let broker = BrokerProcess::start(BrokerSetup::with_route_plugin());
    let tap = WireTap::start(broker.addr());
    let rt = StockRuntime::new("probe");
    rt.block_on(async {
        let mut producer = start_producer(&rt, tap.addr(), "probe_producer").await;
        let m = numbered_message(1);
        let built = rocketmq_model::common::message::message_single::Message::builder()
            .topic("TBW102")
            .tags("TagA")
            .key(m.key.as_str())
            .body(m.body.clone())
            .build()
            .unwrap();
        let r = producer.send(built).await;
        eprintln!("SEND RESULT: {r:?}");
        let collector = Collector::default();
        let mut c = start_consumer(
            &rt,
            tap.addr(),
            &ConsumerSpec::new("probe_group", "TBW102", "*"),
            &collector,
        )
        .await;
        tokio::time::sleep(Duration::from_secs(8)).await;
        c.shutdown().await;
        producer.shutdown().await;
    });
    eprintln!("{}", tap.transcript());
}
