//! Rebuilds when the embedded template library changes (`include_dir!` alone does not
//! tell cargo on stable Rust).
fn main() {
    println!("cargo:rerun-if-changed=../../examples/templates");
}
