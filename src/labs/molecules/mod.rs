//! The `molecules` lab: Nigam, Friederich, Krenn & Aspuru-Guzik, "Augmenting Genetic Algorithms with Deep Neural
//! Networks for Exploring the Chemical Space" (ICLR 2020; arXiv:1909.11655), *the paper* below.
//!
//! - [`selfies`]: SELFIES encoder and decoder matching the `selfies` 2.2.0 package.
//! - [`ga`]: the genetic algorithm with the neural discriminator (GA+D): fitness F = J + beta * D.
//! - [`discriminator`]: the discriminator D, an MLP on molecular descriptors.
//! - [`sa`]: the synthetic accessibility score (Ertl & Schuffenhauer) on RDKit's fingerprints.
//!
//! The chemistry (validity, canonical SMILES, logP, SA score, rings, descriptors, fingerprints) is not computed
//! here: the GA asks a [`ga::Chemistry`] implementation for it (RDKit MinimalLib in the browser).

pub mod discriminator;
pub mod ga;
pub mod sa;
pub mod selfies;
