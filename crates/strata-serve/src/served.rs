//! What a running server holds: the model, its name, its limits, the batching worker, the
//! permits of the explanations being computed, and the metrics.

use std::sync::Arc;

use strata_model::Classifier;
use tokio::sync::Semaphore;

use crate::batcher::Batcher;
use crate::config::ServeConfig;
use crate::metrics::Metrics;

/// What the server holds: the model, its name, its limits, the batching worker, the
/// explanations' permits and the metrics.
pub struct Served {
    pub name: String,
    /// A network or a linear model: every route goes through the `Classifier` interface.
    pub model: Arc<Classifier>,
    pub batcher: Batcher,
    pub config: Arc<ServeConfig>,
    pub metrics: Arc<Metrics>,
    pub(crate) explains: Arc<Semaphore>,
}

impl Served {
    pub fn new(name: String, model: Classifier, config: ServeConfig) -> Arc<Served> {
        let model = Arc::new(model);
        let batcher = Batcher::start(model.clone(), config.queue_depth, config.work_hook.clone());
        let explains = Arc::new(Semaphore::new(config.max_concurrent_explains));
        Arc::new(Served {
            name,
            batcher,
            model,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
            explains,
        })
    }
}
