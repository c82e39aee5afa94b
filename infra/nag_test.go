package main

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestNoUnsuppressedNagErrors: the AWS Solutions checks find nothing that
// is not suppressed with its rule, resource and reason (see nag.go).
func TestNoUnsuppressedNagErrors(t *testing.T) {
	for _, stage := range []Stage{Dev, Prod} {
		synthesizedStage(t, stage)
		errs := nagFindings[stage].FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
		for _, e := range *errs {
			t.Errorf("%s %s: %v", stage, *e.Id, e.Entry.Data)
		}
	}
}
