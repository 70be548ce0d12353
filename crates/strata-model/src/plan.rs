//! What one training stage computes, supervises and trains: the contract between a schedule
//! (which builds plans) and the network (which runs them).

/// What one stage computes and trains. Group order everywhere:
/// `[embedding, level_0 … level_{L-1}, head, aux_0 … aux_{L-1}]` (levels are the body's layers
/// with parameters; see `model`).
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Levels computed, `1..=L`; the levels above are absent.
    pub depth: usize,
    /// Loss weight of the final head; 0 leaves it out (it needs `depth == L`).
    pub head_weight: f32,
    /// Loss weight of an auxiliary classifier on each level's summary vector; 0 = none.
    pub aux_weights: Vec<f32>,
    /// Which groups train.
    pub trainable: Vec<bool>,
}

impl Plan {
    /// Every layer, the final head, no auxiliary heads: the seed's end-to-end training.
    pub fn end_to_end(layers: usize) -> Plan {
        let mut trainable = vec![true; layers + 2];
        trainable.extend(vec![false; layers]);
        Plan { depth: layers, head_weight: 1.0, aux_weights: vec![0.0; layers], trainable }
    }

    /// Prediction only: the final head on all layers.
    pub fn inference(layers: usize) -> Plan {
        Plan { trainable: vec![false; 2 * layers + 2], ..Plan::end_to_end(layers) }
    }

    /// Index (in group order) of the lowest trainable embedding/LSTM layer; heads need no
    /// backward through the layers below them.
    pub fn lowest_trainable_layer(&self) -> Option<usize> {
        (0..=self.depth).find(|&g| self.trainable[g])
    }

    /// The classifier whose accuracy is reported: the final head if it is on, else the
    /// auxiliary head of the top computed layer.
    pub fn reports_head(&self) -> bool {
        self.head_weight > 0.0
    }
}
