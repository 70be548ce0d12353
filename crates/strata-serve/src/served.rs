//! What a running server holds: the model, its name, its limits, the batching worker, the
//! permits of the explanations being computed, and the metrics.

use std::sync::Arc;

use strata_model::folder::SavedModel;
use tokio::sync::Semaphore;

use crate::batcher::Batcher;
use crate::config::ServeConfig;
use crate::metrics::Metrics;

/// What the server holds: the model, its name, its limits, the batching worker, the
/// explanations' permits and the metrics.
pub struct Served {
    pub name: String,
    pub saved: Arc<SavedModel>,
    pub batcher: Batcher,
    pub config: Arc<ServeConfig>,
    pub metrics: Arc<Metrics>,
    pub(crate) explains: Arc<Semaphore>,
}

impl Served {
    pub fn new(name: String, saved: SavedModel, config: ServeConfig) -> Arc<Served> {
        let saved = Arc::new(saved);
        let batcher = Batcher::start(saved.clone(), config.queue_depth, config.work_hook.clone());
        let explains = Arc::new(Semaphore::new(config.max_concurrent_explains));
        Arc::new(Served {
            name,
            batcher,
            saved,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
            explains,
        })
    }
}
