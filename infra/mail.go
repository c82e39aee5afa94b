package main

import (
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"

	"github.com/partnerloop/partnerloop/internal/appspec"
)

// mailing is what e-mail needs in AWS: the SES configuration set whose
// bounces and complaints reach the feedback topic, and the key of the
// unsubscribe links.
type mailing struct {
	props     StackProps
	configSet awsses.ConfigurationSet
	feedback  awssns.Topic
	linkKey   awssecretsmanager.Secret
}

func newMailing(stack awscdk.Stack, props StackProps) *mailing {
	feedback := awssns.NewTopic(stack, jsii.String("MailFeedback"), &awssns.TopicProps{EnforceSSL: jsii.Bool(true)})
	// SES publishes bounce and complaint events to the topic.
	feedback.GrantPublish(awsiam.NewServicePrincipal(jsii.String("ses.amazonaws.com"), nil))
	suppress(feedback, "AwsSolutions-SNS2", "Carries SES bounce and complaint notices (addresses only), not message content; SES publishing to an encrypted topic needs a customer-managed key policy.")
	configSet := awsses.NewConfigurationSet(stack, jsii.String("MailConfigurationSet"), nil)
	configSet.AddEventDestination(jsii.String("Feedback"), &awsses.ConfigurationSetEventDestinationOptions{
		Destination: awsses.EventDestination_SnsTopic(feedback),
		Events:      &[]awsses.EmailSendingEvent{awsses.EmailSendingEvent_BOUNCE, awsses.EmailSendingEvent_COMPLAINT},
	})
	linkKey := awssecretsmanager.NewSecret(stack, jsii.String("MailSecret"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Key of the e-mails' unsubscribe links; rotating it voids the links already sent"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			SecretStringTemplate: jsii.String(`{}`), GenerateStringKey: jsii.String("unsubscribe_key"),
			PasswordLength: jsii.Number(48), ExcludePunctuation: jsii.Bool(true),
		},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	suppress(linkKey, "AwsSolutions-SMG4", "Signs the unsubscribe links in e-mails already sent; rotating it would break them.")
	return &mailing{props: props, configSet: configSet, feedback: feedback, linkKey: linkKey}
}

// identity is the verified SES identity mail is sent from: the stack's
// mailIdentity, or the domain of mailFrom.
func (m *mailing) identity() string {
	if m.props.MailIdentity != "" {
		return m.props.MailIdentity
	}
	_, domain, _ := strings.Cut(m.props.MailFrom, "@")
	return domain
}

// env is what a function's spec says it needs of e-mail.
func (m *mailing) env(spec appspec.Function, env map[string]*string) {
	env[appspec.EnvFinanceEmails] = jsii.String(m.props.FinanceEmails)
	if spec.Access.MailLinks {
		env[appspec.EnvMailSecretARN] = m.linkKey.SecretArn()
	}
	if spec.Access.SendsEmail {
		env[appspec.EnvMailFrom] = jsii.String(m.props.MailFrom)
		env[appspec.EnvMailConfigurationSet] = m.configSet.ConfigurationSetName()
		env[appspec.EnvMailSendRate] = jsii.String(strconv.FormatFloat(m.props.MailSendRate, 'f', -1, 64))
	}
}

// grant lets the function sign links, send from the identity through the
// configuration set only, and hear of bounces and complaints.
func (m *mailing) grant(stack awscdk.Stack, spec appspec.Function, fn awslambda.Function) {
	if spec.Access.MailLinks {
		m.linkKey.GrantRead(fn, nil)
	}
	if !spec.Access.SendsEmail {
		return
	}
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("ses:SendEmail"),
		Resources: &[]*string{
			stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ses"), Resource: jsii.String("identity"), ResourceName: jsii.String(m.identity())}),
			stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("ses"), Resource: jsii.String("configuration-set"), ResourceName: m.configSet.ConfigurationSetName()}),
		},
	}))
	m.feedback.AddSubscription(awssnssubscriptions.NewLambdaSubscription(fn, nil))
}
