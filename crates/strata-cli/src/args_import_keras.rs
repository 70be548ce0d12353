//! `strata import-keras`'s flags: the Keras files to read, how texts were padded, what to call
//! the classes, and the folder to write.

use std::path::PathBuf;

use clap::Args;

use crate::choices::Side;

const DATA: &str = "Data";
const MODEL: &str = "Model";
const OUTPUT: &str = "Output";

#[derive(Args)]
pub struct ImportKerasCmd {
    /// The Keras tokenizer: the JSON that `tokenizer.to_json()` wrote (tf-keras / keras_preprocessing)
    #[arg(long, value_name = "TOKENIZER.json", help_heading = DATA)]
    pub tokenizer: PathBuf,
    /// The Keras model: a `.keras` file (model.save("m.keras")) or a legacy `.h5` (model.save("m.h5")),
    /// of the seed family: Embedding → LSTM/GRU (stacked or Bidirectional) → Dense(1, sigmoid) or
    /// Dense(K, softmax)
    #[arg(long, value_name = "MODEL.keras|MODEL.h5", help_heading = MODEL)]
    pub model: PathBuf,
    /// Folder to write the strata model to (it must not exist, or be one strata wrote)
    #[arg(long, value_name = "DIR", help_heading = OUTPUT)]
    pub out: PathBuf,
    /// Ids per text, the maxlen your pad_sequences used; needed only when the model's input has
    /// no fixed length
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..), help_heading = DATA)]
    pub maxlen: Option<u32>,
    /// Where pad_sequences padded short texts (Keras's default: pre)
    #[arg(long, value_enum, default_value = "pre", help_heading = DATA)]
    pub padding: Side,
    /// Where pad_sequences cut long texts (Keras's default: pre)
    #[arg(long, value_enum, default_value = "pre", help_heading = DATA)]
    pub truncating: Side,
    /// Names of the model's classes in output order, e.g. neg,pos (default: 0, 1, …)
    #[arg(long, value_delimiter = ',', help_heading = MODEL)]
    pub labels: Option<Vec<String>>,
}
